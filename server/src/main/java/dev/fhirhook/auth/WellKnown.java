package dev.fhirhook.auth;

import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.FhirJson;

/**
 * {@code /.well-known/jwks.json} (the public halves of the signing keys, so others can check our tokens) and
 * {@code /.well-known/openid-configuration} (where the token endpoint and keys are). Thread-safe.
 */
public final class WellKnown {
    private final SigningKeys keys;

    public WellKnown(SigningKeys keys) {
        this.keys = keys;
    }

    public ApiResponse jwks(ApiRequest request) {
        return ApiResponse.json(200, ApiResponse.JSON, FhirJson.bytes(FhirJson.mapper().valueToTree(keys.publicJwks())));
    }

    public ApiResponse openidConfiguration(ApiRequest request) {
        String base = request.baseUrl();
        var doc = FhirJson.mapper().createObjectNode();
        doc.put("issuer", base);
        doc.put("token_endpoint", base + "oauth2/token");
        doc.put("jwks_uri", base + ".well-known/jwks.json");
        doc.putArray("grant_types_supported").add("client_credentials");
        doc.putArray("token_endpoint_auth_methods_supported").add("client_secret_basic").add("client_secret_post");
        doc.putArray("id_token_signing_alg_values_supported").add("ES256");
        doc.putArray("scopes_supported").add("openid");
        return ApiResponse.json(200, ApiResponse.JSON, FhirJson.bytes(doc));
    }
}
