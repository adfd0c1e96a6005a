package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Okta event hooks sign nothing: every delivery (and the one-time verification GET) carries a configured header,
 * {@code Authorization} by default, whose value is a static secret. Compared in constant time. The event
 * {@code uuid} is in the body.
 */
public record Okta(String headerName) implements SignatureScheme {

    public static final String DEFAULT_HEADER = "authorization";

    public Okta {
        Objects.requireNonNull(headerName, "headerName");
        if (headerName.isBlank()) {
            throw new IllegalArgumentException("headerName is blank");
        }
        headerName = headerName.toLowerCase(Locale.ROOT);
    }

    public Okta() {
        this(DEFAULT_HEADER);
    }

    @Override
    public String name() {
        return "okta";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        return HeaderToken.verifyToken(request, secrets, headerName, Optional.empty());
    }
}
