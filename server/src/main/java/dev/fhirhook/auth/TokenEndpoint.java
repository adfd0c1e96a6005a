package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.audit.SecurityAudit;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.Instants;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /oauth2/token} with {@code grant_type=client_credentials}: the client's id and secret (form
 * fields or HTTP Basic) buy an access token; each grant is stored as a Login, which the token names and which
 * can be revoked. Failures are RFC 6749 error objects with Medplum's texts, not OperationOutcomes, because
 * OAuth clients parse those. Thread-safe.
 */
public final class TokenEndpoint {
    static final String FORM = "application/x-www-form-urlencoded";
    static final String DEFAULT_SCOPE = "openid";
    /** Longer than any real scope list; keeps the stored Login and the token small. */
    static final int MAX_SCOPE_LENGTH = 1000;

    private final ResourceStore store;
    private final ClientCredentials credentials;
    private final AccessTokens tokens;
    private final Clock clock;
    private final SecurityAudit audit;

    public TokenEndpoint(ResourceStore store, ClientCredentials credentials, AccessTokens tokens, Clock clock,
            SecurityAudit audit) {
        this.store = store;
        this.credentials = credentials;
        this.tokens = tokens;
        this.clock = clock;
        this.audit = audit;
    }

    public ApiResponse handle(ApiRequest request) {
        if (!request.mediaType().equals(FORM)) return ApiResponse.text(400, "Unsupported content type");
        Map<String, List<String>> form;
        try {
            form = QueryString.parse(new String(request.body(), StandardCharsets.UTF_8));
        } catch (ApiException e) {
            return error("invalid_request", "Invalid form body");
        }
        // RFC 6749 3.1: a parameter sent twice is refused, not read as its first value (the second could be meant)
        for (String name : ONCE) {
            var values = form.get(name);
            if (values != null && values.size() > 1) return error("invalid_request", "Repeated parameter: " + name);
        }
        String grantType = first(form, "grant_type");
        if (grantType == null || grantType.isEmpty()) return error("invalid_request", "Missing grant_type");
        if (!grantType.equals("client_credentials")) return error("unsupported_grant_type", "Unsupported grant_type");

        String clientId = first(form, "client_id");
        String secret = first(form, "client_secret");
        String authorization = request.header("authorization").orElse(null);
        if (authorization != null && authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.US_ASCII);
            } catch (IllegalArgumentException e) {
                audit.authenticationFailed(request, SecurityAudit.Reason.MALFORMED_CREDENTIALS, "base64", null);
                return error("invalid_request", "Invalid authorization header");
            }
            int colon = decoded.indexOf(':');
            String basicId = colon < 0 ? decoded : decoded.substring(0, colon);
            // RFC 6749 2.3: one authentication method per request; two that disagree are refused, not merged
            if (clientId != null && !clientId.isEmpty() && !clientId.equals(basicId)) {
                return error("invalid_request", "Client ID mismatch");
            }
            clientId = basicId;
            secret = colon < 0 ? null : decoded.substring(colon + 1);
        }
        if (clientId == null || clientId.isEmpty() || secret == null || secret.isEmpty()) {
            audit.authenticationFailed(request, SecurityAudit.Reason.MISSING_CREDENTIALS, null, clientId);
            return error("invalid_request", clientId == null || clientId.isEmpty() ? "Missing client_id" : "Missing client_secret");
        }

        ClientCredentials.Check.Accepted accepted;
        switch (credentials.check(clientId, secret)) {
            case ClientCredentials.Check.Accepted a -> accepted = a;
            case ClientCredentials.Check.Rejected r -> {
                audit.authenticationFailed(request, r.audit(), r.check(), clientId);
                return error("invalid_request", r.reason());
            }
        }
        if (!ClientCredentials.ipAllowed(accepted, request.clientIp())) {
            audit.authenticationFailed(request, SecurityAudit.Reason.IP_BLOCKED, null, clientId);
            return error("invalid_request", "IP address not allowed");
        }
        String scope = first(form, "scope");
        if (scope == null || scope.isBlank()) scope = DEFAULT_SCOPE;
        if (scope.length() > MAX_SCOPE_LENGTH) return error("invalid_scope", "Scope too long");

        var principal = accepted.principal();
        var login = storeLogin(request, principal, scope);
        var lifetime = AccessTokens.lifetime(store.findAnyProject("ClientApplication", clientId)
                .map(c -> c.json().path("accessTokenLifetime").asText(null)).orElse(null));
        String token = tokens.issue(request.baseUrl(),
                new AccessTokens.Claims(login, principal.clientId(), accepted.profile(), scope), lifetime);

        var body = FhirJson.mapper().createObjectNode();
        body.put("token_type", "Bearer");
        body.put("expires_in", lifetime.toSeconds());
        body.put("scope", scope);
        body.put("access_token", token);
        body.putObject("project").put("reference", "Project/" + principal.projectId());
        body.putObject("profile").put("reference", accepted.profile());
        return ApiResponse.json(200, ApiResponse.JSON, FhirJson.bytes(body));
    }

    /** Stores the grant and returns its id, which the token carries as {@code login_id}. */
    private String storeLogin(ApiRequest request, Principal.Client principal, String scope) {
        ObjectNode login = FhirJson.mapper().createObjectNode();
        login.put("resourceType", "Login");
        String client = "ClientApplication/" + principal.clientId();
        login.putObject("user").put("reference", client);
        login.putObject("client").put("reference", client);
        login.putObject("membership").put("reference", "ProjectMembership/" + principal.membershipId());
        login.putObject("project").put("reference", "Project/" + principal.projectId());
        login.put("authMethod", "client");
        login.put("authTime", Instants.format(clock.instant()));
        login.put("scope", scope);
        login.put("granted", true);
        if (request.clientIp() != null) login.put("remoteAddress", request.clientIp());
        request.header("user-agent").ifPresent(ua -> login.put("userAgent", ua.length() > 500 ? ua.substring(0, 500) : ua));
        // in the client's project, so that the project's logins go with it; only super admins can see the type
        return store.create(Scope.system(principal.projectId()), login).id();
    }

    /** The parameters of this grant, each of which may appear once. */
    private static final List<String> ONCE = List.of("grant_type", "client_id", "client_secret", "scope");

    private static String first(Map<String, List<String>> form, String name) {
        var values = form.get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    private static ApiResponse error(String code, String description) {
        var body = FhirJson.mapper().createObjectNode().put("error", code).put("error_description", description);
        return ApiResponse.json(400, ApiResponse.JSON, FhirJson.bytes(body));
    }
}
