package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Twitch EventSub: {@code Twitch-Eventsub-Message-Signature: sha256=<hex>}, HMAC-SHA256 over message id, RFC 3339
 * timestamp and raw body concatenated without separators. Twitch says to reject messages older than 10 minutes;
 * we also reject ones dated that far in the future. The message id is signed and is the dedupe key.
 */
public record Twitch(Duration tolerance) implements SignatureScheme {

    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(10);
    static final String ID_HEADER = "twitch-eventsub-message-id";
    static final String TIMESTAMP_HEADER = "twitch-eventsub-message-timestamp";
    static final String SIGNATURE_HEADER = "twitch-eventsub-message-signature";

    public Twitch {
        Timestamps.requireTolerance(tolerance);
    }

    public Twitch() {
        this(DEFAULT_TOLERANCE);
    }

    @Override
    public String name() {
        return "twitch";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var signature = request.header(SIGNATURE_HEADER);
        if (signature.isEmpty()) {
            return Verification.missing("Twitch-Eventsub-Message-Signature is absent");
        }
        var id = request.header(ID_HEADER);
        if (id.isEmpty()) {
            return Verification.missing("Twitch-Eventsub-Message-Id is absent");
        }
        var timestamp = request.header(TIMESTAMP_HEADER);
        if (timestamp.isEmpty()) {
            return Verification.missing("Twitch-Eventsub-Message-Timestamp is absent");
        }
        var given = PrefixedDigest.parse(signature.get(), "sha256=", DigestEncoding.HEX, MacAlgorithm.SHA256);
        if (given.isEmpty()) {
            return Verification.malformed("Twitch-Eventsub-Message-Signature is not sha256=<hex>");
        }
        var stale = Timestamps.checkRfc3339(timestamp.get(), tolerance, clock);
        if (stale.isPresent()) {
            return stale.get();
        }
        var signed = List.of(Matching.utf8(id.get() + timestamp.get()), request.body());
        var match = Matching.firstSecret(secrets, Matching::utf8Key, key -> given.get().matches(key, signed));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), request.deliveryId(ID_HEADER))
                : Verification.mismatch("signature does not match the message");
    }
}
