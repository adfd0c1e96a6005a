package dev.fhirhook.auth;

import dev.fhirhook.api.ApiRequest;

/**
 * The one place the HTTP layer asks who a request is: it picks the scheme of the {@code Authorization} header
 * (Bearer, else Basic, which also answers a missing header with 401). Thread-safe.
 */
public final class Authenticator {
    private final BasicAuthenticator basic;
    private final BearerAuthenticator bearer;

    public Authenticator(BasicAuthenticator basic, BearerAuthenticator bearer) {
        this.basic = basic;
        this.bearer = bearer;
    }

    /**
     * The principal of the request, or an {@link dev.fhirhook.api.ApiException}: 401 for missing or bad
     * credentials, 403 when the membership's IP rules refuse the request's client address.
     */
    public Principal authenticate(ApiRequest request) {
        String header = request.header("authorization").orElse(null);
        if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            // tokens are issued with the base URL as issuer, so a token from another deployment does not count here
            return bearer.authenticate(header.substring(7).strip(), request.baseUrl(), request.clientIp());
        }
        return basic.authenticate(header, request.clientIp());
    }
}
