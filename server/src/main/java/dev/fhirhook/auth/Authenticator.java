package dev.fhirhook.auth;

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

    public Authenticator(BasicAuthenticator basic, BearerAuthenticator bearer, SecurityAudit audit) {
        this.basic = basic;
        this.bearer = bearer;
        this.audit = audit;
    }

    /**
     * The principal of the request, or an {@link dev.fhirhook.api.ApiException}: 401 for missing or bad
     * credentials, 403 when the membership's IP rules refuse the request's client address.
     */
    public Principal authenticate(ApiRequest request) {
        String header = request.header("authorization").orElse(null);
        // tokens are issued with the base URL as issuer, so a token from another deployment does not count here
        var attempt = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? bearer.attempt(header.substring(7).strip(), request.baseUrl(), request.clientIp())
                : basic.attempt(header, request.clientIp());
        return switch (attempt) {
            case Attempt.Accepted accepted -> accepted.principal();
            case Attempt.Refused refused -> {
                audit.authenticationFailed(request, refused.reason(), refused.check(), refused.clientId());
                throw refused.error();
            }
        };
    }
}
