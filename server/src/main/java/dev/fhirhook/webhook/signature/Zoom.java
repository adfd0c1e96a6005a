package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/**
 * Zoom: {@code x-zm-signature: v0=<hex>} over {@code v0:<x-zm-request-timestamp>:<body>} with the secret token.
 * Zoom publishes no tolerance; 5 minutes is what the libraries use.
 */
public record Zoom(Duration tolerance) implements SignatureScheme {

    public static final Duration DEFAULT_TOLERANCE = Duration.ofMinutes(5);

    public Zoom {
        Timestamps.requireTolerance(tolerance);
    }

    public Zoom() {
        this(DEFAULT_TOLERANCE);
    }

    @Override
    public String name() {
        return "zoom";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        return V0Signature.verify(request, secrets, clock, tolerance, "x-zm-signature", "x-zm-request-timestamp");
    }

    /**
     * The {@code encryptedToken} of the {@code endpoint.url_validation} handshake reply: lowercase hex
     * HMAC-SHA256 of the plain token under the secret token. Lives here because it is the same key and MAC; the
     * handshake step builds the reply around it, after the request itself verified.
     */
    public static String urlValidationToken(String secretToken, String plainToken) {
        if (secretToken == null || secretToken.isEmpty()) {
            throw new IllegalArgumentException("the Zoom secret token is empty");
        }
        return HexFormat.of().formatHex(MacAlgorithm.SHA256.sign(Matching.utf8(secretToken),
                Matching.utf8(plainToken)));
    }
}
