package dev.fhirhook.webhook.signature;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * HTTP Basic credentials for providers that can only put {@code user:password} in the URL or a header (Okta
 * offers it too). The secret is {@code user:password}; the {@code Authorization: Basic <base64>} credentials must
 * equal it, compared in constant time on the decoded bytes.
 */
public record BasicAuth() implements SignatureScheme {

    private static final int MAX_HEADER_LENGTH = 8192;

    @Override
    public String name() {
        return "basic";
    }

    @Override
    public Optional<String> secretProblem(String secret) {
        if (secret == null || secret.isEmpty()) {
            return Optional.of("the secret is empty");
        }
        return secret.indexOf(':') < 0 ? Optional.of("the secret is not user:password") : Optional.empty();
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        var header = request.header("authorization");
        if (header.isEmpty()) {
            return Verification.missing("Authorization is absent");
        }
        var value = header.get().strip();
        if (value.length() > MAX_HEADER_LENGTH) {
            return Verification.malformed("Authorization is too long");
        }
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("basic")) {
            return Verification.malformed("Authorization is not Basic");
        }
        byte[] credentials;
        try {
            credentials = Base64.getDecoder().decode(value.substring(space + 1).strip());
        } catch (IllegalArgumentException e) {
            return Verification.malformed("Authorization Basic credentials are not base64");
        }
        // RFC 7617: no colon means no user-id/password pair, so it can never equal a user:password secret.
        if (new String(credentials, StandardCharsets.UTF_8).indexOf(':') < 0) {
            return Verification.malformed("Authorization Basic credentials are not user:password");
        }
        var match = Matching.firstSecret(secrets, Matching::utf8Key, key -> Matching.sameToken(credentials, key));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), Optional.empty())
                : Verification.mismatch("Basic credentials do not match");
    }
}
