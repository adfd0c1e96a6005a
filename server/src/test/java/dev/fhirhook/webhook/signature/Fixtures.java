package dev.fhirhook.webhook.signature;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One correctly signed request per preset, made with an independent signer (plain javax.crypto here, not the
 * production code), so tests can vary the secret, the timestamp and single headers.
 *
 * @param timestamped whether the scheme enforces a tolerance
 * @param signatureHeaders the headers whose corruption must lead to a rejection
 */
record Fixtures(String name, SignatureScheme scheme, String current, String retiring, boolean timestamped,
                long toleranceSeconds, List<String> signatureHeaders, Signer signer) {

    interface Signer {
        SignedRequest sign(String secret, long epochSecond);
    }

    static final String BODY = "{\"id\":\"evt_1\",\"amount\":42}";
    static final byte[] BODY_BYTES = BODY.getBytes(StandardCharsets.UTF_8);
    static final String URL = "https://hooks.example.org/webhook/6b1e";

    SignedRequest sign(String secret, long epochSecond) {
        return signer.sign(secret, epochSecond);
    }

    static List<Fixtures> all() {
        var hmac = new GenericHmac(MacAlgorithm.SHA512,
                new GenericHmac.SignatureHeader("X-Signature", "sha512=", DigestEncoding.HEX),
                new GenericHmac.SignedContent("{id}.{timestamp}.{body}", Optional.of("X-Timestamp"),
                        Optional.of("X-Delivery")),
                GenericHmac.DEFAULT_TOLERANCE);
        return List.of(
                new Fixtures("stripe", new Stripe(), "whsec_current", "whsec_retiring", true, 300,
                        List.of("stripe-signature"),
                        (secret, t) -> post(Map.of("Stripe-Signature",
                                "t=" + t + ",v1=" + hex(mac("HmacSHA256", utf8(secret), t + "." + BODY))))),
                new Fixtures("github", new GitHub(), "gh-current", "gh-retiring", false, 0,
                        List.of("x-hub-signature-256", "x-hub-signature"),
                        (secret, t) -> post(Map.of(
                                "X-Hub-Signature-256", "sha256=" + hex(mac("HmacSHA256", utf8(secret), BODY)),
                                "X-Hub-Signature", "sha1=" + hex(mac("HmacSHA1", utf8(secret), BODY)),
                                "X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958"))),
                new Fixtures("twilio", new Twilio(), "token-current", "token-retiring", false, 0,
                        List.of("x-twilio-signature"),
                        (secret, t) -> SignedRequest.of("POST", URL, Map.of(
                                "Content-Type", "application/x-www-form-urlencoded",
                                "X-Twilio-Signature", b64(mac("HmacSHA1", utf8(secret),
                                        URL + "Body" + "hi there" + "From" + "+14158675309"))),
                                utf8("From=%2B14158675309&Body=hi+there"))),
                new Fixtures("slack", new Slack(), "slack-current", "slack-retiring", true, 300,
                        List.of("x-slack-signature", "x-slack-request-timestamp"),
                        (secret, t) -> post(Map.of("X-Slack-Request-Timestamp", Long.toString(t),
                                "X-Slack-Signature", "v0=" + hex(mac("HmacSHA256", utf8(secret),
                                        "v0:" + t + ":" + BODY))))),
                new Fixtures("shopify", new Shopify(), "shpss_current", "shpss_retiring", false, 0,
                        List.of("x-shopify-hmac-sha256"),
                        (secret, t) -> post(Map.of("X-Shopify-Hmac-Sha256", b64(mac("HmacSHA256", utf8(secret), BODY)),
                                "X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"))),
                new Fixtures("standard-webhooks", new StandardWebhooks(),
                        "whsec_" + b64(utf8("current-key-24-bytes-long")),
                        "whsec_" + b64(utf8("retiring-key-24-bytes-lo")), true, 300,
                        List.of("webhook-signature", "webhook-id", "webhook-timestamp"),
                        (secret, t) -> post(Map.of("webhook-id", "msg_1", "webhook-timestamp", Long.toString(t),
                                "webhook-signature", "v1," + b64(mac("HmacSHA256",
                                        Base64.getDecoder().decode(secret.substring(6)), "msg_1." + t + "." + BODY))))),
                new Fixtures("square", new Square(), "sq-current", "sq-retiring", false, 0,
                        List.of("x-square-hmacsha256-signature"),
                        (secret, t) -> post(Map.of("x-square-hmacsha256-signature",
                                b64(mac("HmacSHA256", utf8(secret), URL + BODY))))),
                new Fixtures("zoom", new Zoom(), "zoom-current", "zoom-retiring", true, 300,
                        List.of("x-zm-signature", "x-zm-request-timestamp"),
                        (secret, t) -> post(Map.of("x-zm-request-timestamp", Long.toString(t),
                                "x-zm-signature", "v0=" + hex(mac("HmacSHA256", utf8(secret),
                                        "v0:" + t + ":" + BODY))))),
                new Fixtures("twitch", new Twitch(), "twitch-current-secret", "twitch-retiring-secret", true, 600,
                        List.of("twitch-eventsub-message-signature", "twitch-eventsub-message-id",
                                "twitch-eventsub-message-timestamp"),
                        (secret, t) -> {
                            var ts = Instant.ofEpochSecond(t, 634234626).toString();
                            return post(Map.of("Twitch-Eventsub-Message-Id", "e76c6bd4",
                                    "Twitch-Eventsub-Message-Timestamp", ts,
                                    "Twitch-Eventsub-Message-Signature", "sha256=" + hex(mac("HmacSHA256",
                                            utf8(secret), "e76c6bd4" + ts + BODY))));
                        }),
                new Fixtures("okta", new Okta(), "okta-current", "okta-retiring", false, 0,
                        List.of("authorization"),
                        (secret, t) -> post(Map.of("Authorization", secret))),
                new Fixtures("basic", new BasicAuth(), "bot:current-pw", "bot:retiring-pw", false, 0,
                        List.of("authorization"),
                        (secret, t) -> post(Map.of("Authorization", "Basic " + b64(utf8(secret))))),
                new Fixtures("header-token", new HeaderToken("X-Webhook-Token"), "tok-current", "tok-retiring",
                        false, 0, List.of("x-webhook-token"),
                        (secret, t) -> post(Map.of("X-Webhook-Token", secret))),
                new Fixtures("hmac", hmac, "hmac-current", "hmac-retiring", true, 300,
                        List.of("x-signature", "x-timestamp", "x-delivery"),
                        (secret, t) -> post(Map.of("X-Delivery", "d-1", "X-Timestamp", Long.toString(t),
                                "X-Signature", "sha512=" + hex(mac("HmacSHA512", utf8(secret),
                                        "d-1." + t + "." + BODY))))));
    }

    @Override
    public String toString() {
        return name;
    }

    static SignedRequest post(Map<String, String> headers) {
        var all = new LinkedHashMap<String, String>(headers);
        all.putIfAbsent("Content-Type", "application/json");
        return SignedRequest.of("POST", URL, all, BODY_BYTES);
    }

    /** The same request with one header replaced (or removed when {@code value} is null). */
    static SignedRequest withHeader(SignedRequest request, String name, String value) {
        var headers = new LinkedHashMap<String, List<String>>(request.headers());
        if (value == null) {
            headers.remove(name);
        } else {
            headers.put(name, List.of(value));
        }
        return new SignedRequest(request.method(), request.url(), headers, request.body());
    }

    static byte[] mac(String algorithm, byte[] key, String message) {
        try {
            var mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            return mac.doFinal(utf8(message));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}
