package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Stripe: {@code Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]}, HMAC-SHA256 over {@code <t>.<body>} keyed with
 * the whole {@code whsec_...} string (not decoded). Several {@code v1} entries appear while Stripe rolls a secret;
 * {@code v0} and unknown keys are ignored. The event id is in the body, so no delivery id is reported.
 */
public record Stripe(Duration tolerance) implements SignatureScheme {

    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);
    static final String HEADER = "stripe-signature";
    private static final int MAX_HEADER_LENGTH = 8192;

    public Stripe {
        Timestamps.requireTolerance(tolerance);
    }

    public Stripe() {
        this(DEFAULT_TOLERANCE);
    }

    @Override
    public String name() {
        return "stripe";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var header = request.header(HEADER);
        if (header.isEmpty()) {
            return Verification.missing("Stripe-Signature is absent");
        }
        if (header.get().length() > MAX_HEADER_LENGTH) {
            return Verification.malformed("Stripe-Signature is too long");
        }
        String timestamp = null;
        int timestamps = 0;
        boolean anyV1 = false;
        var signatures = new ArrayList<byte[]>();
        for (var item : header.get().split(",")) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                continue;
            }
            var key = item.substring(0, eq).trim();
            var value = item.substring(eq + 1).trim();
            if (key.equals("t")) {
                timestamp = value;
                timestamps++;
            } else if (key.equals("v1")) {
                anyV1 = true;
                DigestEncoding.HEX.decode(value).ifPresent(signatures::add);
            }
        }
        if (timestamps != 1) {
            return Verification.malformed("Stripe-Signature needs exactly one t");
        }
        if (!anyV1) {
            return Verification.malformed("Stripe-Signature has no v1 signature");
        }
        if (signatures.isEmpty()) {
            return Verification.malformed("Stripe-Signature v1 is not hex");
        }
        // Checked before any HMAC so stale replays are refused at the cost of a parse.
        var stale = Timestamps.checkUnixSeconds(timestamp, tolerance, clock);
        if (stale.isPresent()) {
            return stale.get();
        }
        var signed = List.of(Matching.utf8(timestamp), Matching.utf8("."), request.body());
        var match = Matching.firstSecret(secrets, Matching::utf8Key,
                key -> Matching.anyEqual(MacAlgorithm.SHA256.sign(key, signed), signatures));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), Optional.empty())
                : Verification.mismatch("no v1 signature matches");
    }
}
