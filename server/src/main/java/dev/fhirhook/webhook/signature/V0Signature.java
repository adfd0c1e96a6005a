package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The {@code v0=<hex>} scheme Slack introduced and Zoom copied: HMAC-SHA256 over {@code v0:<timestamp>:<body>},
 * timestamp in its own header. The timestamp is signed as the header carries it, as the Slack SDKs do.
 */
final class V0Signature {

    private V0Signature() {
    }

    static Verification verify(SignedRequest request, List<String> secrets, Clock clock, Duration tolerance,
                               String signatureHeader, String timestampHeader) {
        var signature = request.header(signatureHeader);
        if (signature.isEmpty()) {
            return Verification.missing(signatureHeader + " is absent");
        }
        var timestamp = request.header(timestampHeader);
        if (timestamp.isEmpty()) {
            return Verification.missing(timestampHeader + " is absent");
        }
        if (!signature.get().startsWith("v0=")) {
            return Verification.malformed(signatureHeader + " is not v0=<hex>");
        }
        var given = DigestEncoding.HEX.decode(signature.get().substring(3));
        if (given.isEmpty()) {
            return Verification.malformed(signatureHeader + " is not v0=<hex>");
        }
        var stale = Timestamps.checkUnixSeconds(timestamp.get(), tolerance, clock);
        if (stale.isPresent()) {
            return stale.get();
        }
        var signed = List.of(Matching.utf8("v0:" + timestamp.get() + ":"), request.body());
        var match = Matching.firstSecret(secrets, Matching::utf8Key,
                key -> Matching.anyEqual(MacAlgorithm.SHA256.sign(key, signed), List.of(given.get())));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), Optional.empty())
                : Verification.mismatch("signature does not match the timestamp and body");
    }
}
