package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * GitHub: {@code X-Hub-Signature-256: sha256=<hex>} and the legacy {@code X-Hub-Signature: sha1=<hex>}, both HMAC
 * over the raw body. GitHub sends both when a secret is set; older GitHub Enterprise Server versions send only
 * the SHA-1 one. Every signature header present must match: a request with one good and one bad signature has been
 * tampered with. No timestamp, so the ingest chain must dedupe on {@code X-GitHub-Delivery}.
 */
public record GitHub() implements SignatureScheme {

    static final String SHA256_HEADER = "x-hub-signature-256";
    static final String SHA1_HEADER = "x-hub-signature";
    static final String DELIVERY_HEADER = "x-github-delivery";

    @Override
    public String name() {
        return "github";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var checks = new ArrayList<PrefixedDigest>();
        var sha256 = request.header(SHA256_HEADER);
        var sha1 = request.header(SHA1_HEADER);
        if (sha256.isEmpty() && sha1.isEmpty()) {
            return Verification.missing("X-Hub-Signature-256 is absent");
        }
        if (sha256.isPresent()) {
            var digest = PrefixedDigest.parse(sha256.get(), "sha256=", DigestEncoding.HEX, MacAlgorithm.SHA256);
            if (digest.isEmpty()) {
                return Verification.malformed("X-Hub-Signature-256 is not sha256=<hex>");
            }
            checks.add(digest.get());
        }
        if (sha1.isPresent()) {
            var digest = PrefixedDigest.parse(sha1.get(), "sha1=", DigestEncoding.HEX, MacAlgorithm.SHA1);
            if (digest.isEmpty()) {
                return Verification.malformed("X-Hub-Signature is not sha1=<hex>");
            }
            checks.add(digest.get());
        }
        var body = request.body();
        var match = Matching.firstSecret(secrets, Matching::utf8Key,
                key -> checks.stream().allMatch(check -> check.matches(key, List.of(body))));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), request.deliveryId(DELIVERY_HEADER))
                : Verification.mismatch("signature does not match the body");
    }
}
