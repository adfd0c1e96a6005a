package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.audit.SecurityAudit;

/**
 * The one place the HTTP layer asks who a request is: it picks the scheme of the {@code Authorization} header
 * (Bearer, else Basic, which also answers a missing header with 401), and writes every refusal to the
 * {@link SecurityAudit} with its real reason. Thread-safe.
 */
public final class Authenticator {
    private final BasicAuthenticator basic;
    private final BearerAuthenticator bearer;
    private final SecurityAudit audit;
    private final Delegation delegation;

    public Authenticator(BasicAuthenticator basic, BearerAuthenticator bearer, SecurityAudit audit, Delegation delegation) {
        this.basic = basic;
        this.bearer = bearer;
        this.audit = audit;
        this.delegation = delegation;
    }

    /**
     * The principal of the request, or an {@link ApiException}: 401 for missing or bad
     * credentials, 403 when the membership's IP rules refuse the request's client address; with
     * {@code X-Medplum-On-Behalf-Of}, the membership it names ({@link Delegation}, which has its own refusals).
     */
    public Principal authenticate(ApiRequest request) {
        String header = request.header("authorization").orElse(null);
        // tokens are issued with the base URL as issuer, so a token from another deployment does not count here
        var attempt = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? bearer.attempt(header.substring(7).strip(), request.baseUrl(), request.clientIp())
                : basic.attempt(header, request.clientIp());
        return switch (attempt) {
            case Attempt.Accepted accepted -> onBehalfOf(request, accepted.principal());
            case Attempt.Refused refused -> {
                audit.authenticationFailed(request, refused.reason(), refused.check(), refused.clientId());
                throw refused.error();
            }
        };
    }

    /** The principal the request runs as once {@code X-Medplum-On-Behalf-Of} is applied; refusals are audited. */
    private Principal onBehalfOf(ApiRequest request, Principal authenticated) {
        try {
            return delegation.apply(request, authenticated);
        } catch (ApiException e) {
            if (e.status() == 403) audit.denied(request, authenticated.scope().author(), authenticated.clientId(), e.code());
            throw e;
        }
    }
}
