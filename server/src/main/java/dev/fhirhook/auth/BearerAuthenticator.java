package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.ResourceStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Authorization: Bearer <access token>}: a token with a good signature still counts only while its
 * Login exists and is not revoked and the client and its membership are still active, so revoking a Login or
 * switching a client off takes effect on tokens already issued. Every failure is the same 401 to the caller.
 * Each request reads the Login, client, membership and project; the membership's policy comes from the
 * {@link dev.fhirhook.policy.MembershipPolicies} cache. Thread-safe.
 */
public final class BearerAuthenticator {
    private static final Logger log = LoggerFactory.getLogger(BearerAuthenticator.class);

    private final ResourceStore store;
    private final ClientCredentials credentials;
    private final AccessTokens tokens;

    public BearerAuthenticator(ResourceStore store, ClientCredentials credentials, AccessTokens tokens) {
        this.store = store;
        this.credentials = credentials;
        this.tokens = tokens;
    }

    /**
     * The principal for a token issued by {@code issuer}, or 401; 403 when the membership's IP rules (as they
     * are now, not when the token was issued) do not let {@code clientIp} in.
     */
    public Principal authenticate(String token, String issuer, String clientIp) {
        var claims = switch (tokens.verify(token, issuer)) {
            case AccessTokens.Verification.Valid valid -> valid.claims();
            case AccessTokens.Verification.Invalid invalid -> throw rejected(invalid.reason());
        };
        var login = store.findAnyProject("Login", claims.loginId()).map(r -> r.json())
                .orElseThrow(() -> rejected("no such login"));
        if (login.path("revoked").asBoolean(false)) throw rejected("login revoked");
        if (!login.path("client").path("reference").asText().equals("ClientApplication/" + claims.clientId())) {
            throw rejected("login of another client");
        }
        var accepted = credentials.active(claims.clientId()).orElseThrow(() -> rejected("client or membership inactive"));
        // the membership the token was issued under, not a newer one that may carry other rights
        String membership = "ProjectMembership/" + accepted.principal().membershipId();
        if (!login.path("membership").path("reference").asText().equals(membership)) throw rejected("membership changed");
        if (!ClientCredentials.ipAllowed(accepted, clientIp)) throw BasicAuthenticator.ipNotAllowed();
        ClientCredentials.requireLoadablePolicy(accepted);
        return accepted.principal();
    }

    private static ApiException rejected(String reason) {
        log.debug("bearer token refused: {}", reason);
        return ApiException.unauthorized("auth.invalid-token");
    }
}
