package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Standard Webhooks (and Svix, which sends the same under {@code svix-*} names): {@code webhook-signature} holds
 * space-separated {@code v1,<base64>} entries, HMAC-SHA256 over {@code <webhook-id>.<webhook-timestamp>.<body>}.
 * The key is the secret with {@code whsec_} stripped, base64-decoded (unpadded tolerated). {@code v1a} (ed25519)
 * entries are skipped: they need a {@code whpk_} public key, which this preset is not configured with.
 * The {@code webhook-id} is signed, so it is a trustworthy dedupe key.
 */
public record StandardWebhooks(Duration tolerance) implements SignatureScheme {

    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);
    private static final int MAX_HEADER_LENGTH = 8192;

    public StandardWebhooks {
        Timestamps.requireTolerance(tolerance);
    }

    public StandardWebhooks() {
        this(DEFAULT_TOLERANCE);
    }

    @Override
    public String name() {
        return "standard-webhooks";
    }

    @Override
    public Optional<String> secretProblem(String secret) {
        if (secret == null || secret.isEmpty()) {
            return Optional.of("the secret is empty");
        }
        return key(secret).isPresent()
                ? Optional.empty()
                : Optional.of("the secret is not whsec_ followed by base64");
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        // webhook-* wins when a sender (or a proxy) adds both families.
        var prefix = request.header("webhook-signature").isPresent() ? "webhook-" : "svix-";
        var signatureHeader = request.header(prefix + "signature");
        if (signatureHeader.isEmpty()) {
            return Verification.missing("webhook-signature is absent");
        }
        var id = request.header(prefix + "id");
        if (id.isEmpty()) {
            return Verification.missing("webhook-id is absent");
        }
        var timestamp = request.header(prefix + "timestamp");
        if (timestamp.isEmpty()) {
            return Verification.missing("webhook-timestamp is absent");
        }
        if (signatureHeader.get().length() > MAX_HEADER_LENGTH) {
            return Verification.malformed("webhook-signature is too long");
        }
        var signatures = new ArrayList<byte[]>();
        for (var entry : signatureHeader.get().split(" ")) {
            if (entry.startsWith("v1,")) {
                DigestEncoding.BASE64.decode(entry.substring(3)).ifPresent(signatures::add);
            }
        }
        if (signatures.isEmpty()) {
            return Verification.malformed("webhook-signature has no v1,<base64> entry");
        }
        var stale = Timestamps.checkUnixSeconds(timestamp.get(), tolerance, clock);
        if (stale.isPresent()) {
            return stale.get();
        }
        var signed = List.of(Matching.utf8(id.get() + "." + timestamp.get() + "."), request.body());
        var match = Matching.firstSecret(secrets, StandardWebhooks::key,
                key -> Matching.anyEqual(MacAlgorithm.SHA256.sign(key, signed), signatures));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), request.deliveryId(prefix + "id"))
                : Verification.mismatch("no v1 signature matches");
    }

    static Optional<byte[]> key(String secret) {
        if (secret == null) {
            return Optional.empty();
        }
        var encoded = secret.startsWith("whsec_") ? secret.substring("whsec_".length()) : secret;
        try {
            var key = Base64.getDecoder().decode(encoded);
            return key.length == 0 ? Optional.empty() : Optional.of(key);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
