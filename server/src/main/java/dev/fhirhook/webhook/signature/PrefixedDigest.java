package dev.fhirhook.webhook.signature;

import java.util.List;
import java.util.Optional;

/** A digest taken from a header of the form {@code <prefix><encoded digest>}. */
record PrefixedDigest(byte[] digest, MacAlgorithm algorithm) {

    static Optional<PrefixedDigest> parse(String header, String prefix, DigestEncoding encoding,
                                          MacAlgorithm algorithm) {
        if (!header.startsWith(prefix)) {
            return Optional.empty();
        }
        return encoding.decode(header.substring(prefix.length()))
                .map(digest -> new PrefixedDigest(digest, algorithm));
    }

    boolean matches(byte[] key, List<byte[]> signed) {
        return Matching.anyEqual(algorithm.sign(key, signed), List.of(digest));
    }
}
