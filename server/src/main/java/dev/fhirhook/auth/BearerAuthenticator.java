package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.audit.SecurityAudit;
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
        return switch (attempt(token, issuer, clientIp)) {
            case Attempt.Accepted accepted -> accepted.principal();
            case Attempt.Refused refused -> throw refused.error();
        };
    }

    /** As {@link #authenticate}, with the failed check kept apart for the audit log (the caller sees one 401). */
    Attempt attempt(String token, String issuer, String clientIp) {
        AccessTokens.Claims claims;
        switch (tokens.verify(token, issuer)) {
            case AccessTokens.Verification.Valid valid -> claims = valid.claims();
            case AccessTokens.Verification.Invalid invalid -> {
                // the claims of a token that failed verification are the sender's word: no client id from them
                return rejected(SecurityAudit.Reason.BAD_TOKEN, invalid.reason(), null);
            }
        }
        String clientId = claims.clientId();
        var login = store.findAnyProject("Login", claims.loginId()).map(r -> r.json()).orElse(null);
        if (login == null) return rejected(SecurityAudit.Reason.BAD_TOKEN, "no such login", clientId);
        if (login.path("revoked").asBoolean(false)) return rejected(SecurityAudit.Reason.BAD_TOKEN, "login revoked", clientId);
        if (!login.path("client").path("reference").asText().equals("ClientApplication/" + clientId)) {
            return rejected(SecurityAudit.Reason.BAD_TOKEN, "login of another client", clientId);
        }
        var accepted = credentials.active(clientId);
        if (accepted.isEmpty()) return rejected(SecurityAudit.Reason.INACTIVE, "client or membership", clientId);
        // the membership the token was issued under, not a newer one that may carry other rights
        String membership = "ProjectMembership/" + accepted.get().principal().membershipId();
        if (!login.path("membership").path("reference").asText().equals(membership)) {
            return rejected(SecurityAudit.Reason.BAD_TOKEN, "membership changed", clientId);
        }
        if (!ClientCredentials.ipAllowed(accepted.get(), clientIp)) {
            return new Attempt.Refused(BasicAuthenticator.ipNotAllowed(), SecurityAudit.Reason.IP_BLOCKED, null, clientId);
        }
        return new Attempt.Accepted(accepted.get().principal());
    }

    private static Attempt.Refused rejected(SecurityAudit.Reason reason, String check, String clientId) {
        log.debug("bearer token refused: {}", check);
        return new Attempt.Refused(ApiException.unauthorized("auth.invalid-token"), reason, check, clientId);
    }
}
