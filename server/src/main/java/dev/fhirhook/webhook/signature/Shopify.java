package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.util.List;

/**
 * Shopify: {@code X-Shopify-Hmac-Sha256}, base64 HMAC-SHA256 over the raw body with the app's client secret.
 * No timestamp; {@code X-Shopify-Webhook-Id} (unsigned) is the dedupe key.
 */
public record Shopify() implements SignatureScheme {

    static final String HEADER = "x-shopify-hmac-sha256";
    static final String DELIVERY_HEADER = "x-shopify-webhook-id";

    @Override
    public String name() {
        return "shopify";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var header = request.header(HEADER);
        if (header.isEmpty()) {
            return Verification.missing("X-Shopify-Hmac-Sha256 is absent");
        }
        var given = DigestEncoding.BASE64.decode(header.get());
        if (given.isEmpty()) {
            return Verification.malformed("X-Shopify-Hmac-Sha256 is not base64");
        }
        var body = request.body();
        var match = Matching.firstSecret(secrets, Matching::utf8Key,
                key -> Matching.anyEqual(MacAlgorithm.SHA256.sign(key, body), List.of(given.get())));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), request.deliveryId(DELIVERY_HEADER))
                : Verification.mismatch("signature does not match the body");
    }
}
