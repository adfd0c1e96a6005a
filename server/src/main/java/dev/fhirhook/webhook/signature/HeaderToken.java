package dev.fhirhook.webhook.signature;

import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A named header whose whole value must equal a secret (e.g. {@code X-Webhook-Token}). Weak by nature — the
 * secret travels with every request and nothing binds it to the body — so prefer a signing scheme when the
 * provider offers one. Compared in constant time, without leaking the secret's length.
 *
 * @param deliveryIdHeader an optional header to report as the delivery id
 */
public record HeaderToken(String headerName, Optional<String> deliveryIdHeader) implements SignatureScheme {

    public HeaderToken {
        Objects.requireNonNull(headerName, "headerName");
        Objects.requireNonNull(deliveryIdHeader, "deliveryIdHeader");
        if (headerName.isBlank()) {
            throw new IllegalArgumentException("headerName is blank");
        }
        headerName = headerName.toLowerCase(Locale.ROOT);
    }

    public HeaderToken(String headerName) {
        this(headerName, Optional.empty());
    }

    @Override
    public String name() {
        return "header-token";
    }

    @Override
    public Verification verify(SignedRequest request, List<String> secrets, Clock clock) {
        return verifyToken(request, secrets, headerName, deliveryIdHeader);
    }

    static Verification verifyToken(SignedRequest request, List<String> secrets, String headerName,
                                    Optional<String> deliveryIdHeader) {
        var header = request.header(headerName);
        if (header.isEmpty()) {
            return Verification.missing(headerName + " is absent");
        }
        var presented = Matching.utf8(header.get());
        var match = Matching.firstSecret(secrets, Matching::utf8Key,
                key -> Matching.sameToken(presented, key));
        return match.isPresent()
                ? new Verification.Verified(match.getAsInt(), deliveryIdHeader.flatMap(request::deliveryId))
                : Verification.mismatch(headerName + " does not match the secret");
    }
}
