package dev.fhirhook.webhook.signature;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Function;
import java.util.function.Predicate;

/** Secret rotation and constant-time comparison, shared by every scheme. */
final class Matching {

    private Matching() {
    }

    /**
     * The index of the first secret under which the request verifies. Secrets that yield no usable key (empty,
     * not decodable) are skipped: they are configuration mistakes, reported by {@link SignatureScheme#secretProblem}
     * when the Bot is saved, and must not turn a request into an exception.
     */
    static OptionalInt firstSecret(List<String> secrets, Function<String, Optional<byte[]>> keyOf,
                                   Predicate<byte[]> verifiesUnder) {
        for (int i = 0; i < secrets.size(); i++) {
            var key = keyOf.apply(secrets.get(i));
            if (key.isPresent() && verifiesUnder.test(key.get())) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    static Optional<byte[]> utf8Key(String secret) {
        return secret == null || secret.isEmpty()
                ? Optional.empty()
                : Optional.of(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** True when any candidate equals {@code expected}; every candidate is compared so timing does not tell which. */
    static boolean anyEqual(byte[] expected, List<byte[]> candidates) {
        boolean found = false;
        for (var candidate : candidates) {
            found |= MessageDigest.isEqual(expected, candidate);
        }
        return found;
    }

    /**
     * Compares a presented token with a secret in constant time. Both sides are hashed first because
     * {@link MessageDigest#isEqual} returns early on a length difference, which would leak the secret's length.
     */
    static boolean sameToken(byte[] presented, byte[] secret) {
        return MessageDigest.isEqual(sha256(presented), sha256(secret));
    }

    static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
