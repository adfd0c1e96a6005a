package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.OperationInput;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * {@code POST /fhir/R4/ClientApplication/{id}/$rotate-secret}, as in Medplum: with {@code secret} (the current
 * secret, as proof of which one is meant) the secret moves to {@code retiringSecret} and a new one is generated;
 * with {@code retiringSecret} (its current value) that one is removed. Until then both authenticate, so a
 * rotation does not break webhook URLs that carry the old one. Project admins of the client's project and super
 * admins only; a client of another project is 404 as if it did not exist. Thread-safe.
 */
public final class SecretRotation {
    private final ResourceStore store;
    private final ProjectAdmins admins;

    public SecretRotation(ResourceStore store, ProjectAdmins admins) {
        this.store = store;
        this.admins = admins;
    }

    /** 200 with the ClientApplication as now stored, new secret included. */
    public ApiResponse rotate(ApiRequest request, Principal caller) {
        if (!caller.admin() && !caller.superAdmin()) throw ProjectAdmins.forbidden();
        String id = request.pathParam("id");
        ResourceStore.requireValidId(id);
        var input = OperationInput.read(request, Set.of("secret", "retiringSecret"));
        String secret = text(input, "secret");
        String retiring = text(input, "retiringSecret");
        if (secret == null && retiring == null) {
            throw ApiException.badRequest("auth.rotate-nothing", "Secret to rotate must be provided");
        }
        if (secret != null && retiring != null) {
            throw ApiException.badRequest("auth.rotate-both", "Only one secret can be rotated at a time");
        }
        var written = store.inTransaction((tx, jdbc) -> {
            // read in the caller's own scope: another project's client is not found, not forbidden
            var current = tx.read(caller.scope(), "ClientApplication", id);
            var acting = admins.requireAdminOf(caller, current.projectId());
            var client = current.json();
            // both compared every time, in constant time, so the answer's timing tells nothing about either
            boolean secretMatches = ClientCredentials.matches(secret, client.path("secret").asText(null));
            boolean retiringMatches = ClientCredentials.matches(retiring, client.path("retiringSecret").asText(null));
            if (secret != null && secretMatches) {
                client.put("retiringSecret", client.path("secret").asText());
                client.put("secret", Bootstrap.generateSecret());
            } else if (retiring != null && retiringMatches) {
                client.remove("retiringSecret");
            } else {
                throw ApiException.badRequest("auth.rotate-mismatch", "Provided secret does not match client");
            }
            // elevated: the secret fields are the server's to write, whatever a policy says about them
            Scope scope = acting.elevated();
            return tx.update(scope, client, Optional.of(current.versionId().toString()), "PUT").resource();
        });
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, written.content().getBytes(StandardCharsets.UTF_8))
                .withHeader("ETag", written.etag());
    }

    private static String text(java.util.Map<String, JsonNode> input, String name) {
        JsonNode value = input.get(name);
        if (value == null) return null;
        if (!value.isTextual()) {
            throw ApiException.badRequest("fhir.invalid-parameters", "Invalid parameter " + name + ": expected a string").at(name);
        }
        return value.asText().isEmpty() ? null : value.asText();
    }
}
