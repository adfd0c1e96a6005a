package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Square: {@code x-square-hmacsha256-signature}, base64 HMAC-SHA256 over the notification URL exactly as registered
 * immediately followed by the raw body; the legacy {@code x-square-signature} is the same with HMAC-SHA1. Every
 * signature header present must match. The URL is {@link SignedRequest#url()}, i.e. the configured public URL:
 * one byte of difference (a trailing slash) fails, by design. The {@code event_id} is in the body.
 */
public record Square() implements SignatureScheme {

    static final String SHA256_HEADER = "x-square-hmacsha256-signature";
    static final String SHA1_HEADER = "x-square-signature";

    @Override
    public String name() {
        return "square";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var sha256 = request.header(SHA256_HEADER);
        var sha1 = request.header(SHA1_HEADER);
        if (sha256.isEmpty() && sha1.isEmpty()) {
            return Verification.missing("x-square-hmacsha256-signature is absent");
        }
        var checks = new ArrayList<PrefixedDigest>();
        if (sha256.isPresent()) {
            var digest = PrefixedDigest.parse(sha256.get(), "", DigestEncoding.BASE64, MacAlgorithm.SHA256);
            if (digest.isEmpty()) {
                return Verification.malformed("x-square-hmacsha256-signature is not base64");
            }
            checks.add(digest.get());
        }
        if (sha1.isPresent()) {
            var digest = PrefixedDigest.parse(sha1.get(), "", DigestEncoding.BASE64, MacAlgorithm.SHA1);
            if (digest.isEmpty()) {
                return Verification.malformed("x-square-signature is not base64");
            }
            checks.add(digest.get());
        }
        var signed = List.of(Matching.utf8(request.url()), request.body());
        var match = Matching.firstSecret(secrets, Matching::utf8Key,
                key -> checks.stream().allMatch(check -> check.matches(key, signed)));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), Optional.empty())
                : Verification.mismatch("signature does not match the URL and body");
    }
}
