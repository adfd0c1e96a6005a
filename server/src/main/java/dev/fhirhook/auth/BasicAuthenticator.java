package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.audit.SecurityAudit;
import dev.fhirhook.fhir.GenerationCache;
import dev.fhirhook.fhir.ResourceStore;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * HTTP Basic with {@code clientId:secret} of a ClientApplication, checked by {@link ClientCredentials} (the
 * secret or {@code retiringSecret} in constant time, the client not switched off, its ProjectMembership
 * active). Every failure looks the same to the caller (401). Thread-safe.
 *
 * <p>Successful look-ups (three queries) are cached for {@link #TTL}, keyed by the client id and a hash of
 * the secret. An entry is dropped as soon as any ClientApplication, membership or Project write commits in
 * this process ({@link ResourceStore#securityGeneration()}), so switching a client off takes effect at
 * once here; other nodes of a cluster see it within the TTL.
 */
public final class BasicAuthenticator {
    static final java.time.Duration TTL = java.time.Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 10_000;


    private final ResourceStore store;
    private final ClientCredentials credentials;
    /** Accepted credentials with the membership's IP rules, which are judged again for every request's address. */
    private final GenerationCache<String, ClientCredentials.Check.Accepted> cache;

    public BasicAuthenticator(ResourceStore store, ClientCredentials credentials, java.time.Clock clock) {
        this.store = store;
        this.credentials = credentials;
        this.cache = new GenerationCache<>(clock, TTL, store::securityGeneration, MAX_ENTRIES);
    }

    /** With credentials of its own (tests of the cache). */
    public BasicAuthenticator(ResourceStore store, java.time.Clock clock) {
        this(store, new ClientCredentials(store, new dev.fhirhook.policy.MembershipPolicies(store, clock)), clock);
    }

    /**
     * The principal for an {@code Authorization} header value, or 401; 403 when the membership's IP rules
     * do not let {@code clientIp} in.
     */
    public Principal authenticate(String authorization, String clientIp) {
        return switch (attempt(authorization, clientIp)) {
            case Attempt.Accepted accepted -> accepted.principal();
            case Attempt.Refused refused -> throw refused.error();
        };
    }

    /** As {@link #authenticate}, with the reason for a refusal kept apart for the audit log. */
    Attempt attempt(String authorization, String clientIp) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return refused("auth.missing-credentials", SecurityAudit.Reason.MISSING_CREDENTIALS, null, null);
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.US_ASCII);
        } catch (IllegalArgumentException e) {
            return refused("auth.malformed-basic", SecurityAudit.Reason.MALFORMED_CREDENTIALS, "base64", null);
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) return refused("auth.malformed-basic", SecurityAudit.Reason.MALFORMED_CREDENTIALS, "colon", null);
        String clientId = decoded.substring(0, colon);
        String secret = decoded.substring(colon + 1);
        String key = clientId + ":" + java.util.HexFormat.of().formatHex(ClientCredentials.sha256(secret));
        var lookup = cache.lookup(key);
        ClientCredentials.Check.Accepted accepted;
        if (lookup.hit().isPresent()) {
            accepted = lookup.hit().get();
        } else {
            switch (credentials.check(clientId, secret)) {
                case ClientCredentials.Check.Accepted a -> accepted = lookup.keep(a);
                case ClientCredentials.Check.Rejected rejected -> {
                    return refused("auth.invalid-client", rejected.audit(), rejected.check(), clientId);
                }
            }
        }
        if (!ClientCredentials.ipAllowed(accepted, clientIp)) {
            return new Attempt.Refused(ipNotAllowed(), SecurityAudit.Reason.IP_BLOCKED, null, clientId);
        }
        ClientCredentials.requireLoadablePolicy(accepted);
        return new Attempt.Accepted(accepted.principal());
    }

    private static Attempt.Refused refused(String code, SecurityAudit.Reason reason, String check, String clientId) {
        return new Attempt.Refused(ApiException.unauthorized(code), reason, check, clientId);
    }

    /**
     * Medplum refuses a blocked address only at login, with 400; on API routes fhirhook answers 403, because
     * the credentials are valid and the request is refused for where it comes from, not for what it says.
     */
    static ApiException ipNotAllowed() {
        return ApiException.forbidden("auth.ip-not-allowed", "IP address not allowed");
    }
}
