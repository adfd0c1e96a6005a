package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;

/**
 * Checks the AccessPolicy references that admin requests put on memberships: a membership pointing at a
 * policy that does not exist, or at another project's, would be judged by rules nobody in the project can
 * see or fix. Pure apart from the look-up through the given store.
 */
public final class PolicyReferences {
    private PolicyReferences() {}

    /**
     * The reference {@code {"reference":"AccessPolicy/<id>"}} when {@code value} names a live AccessPolicy of
     * {@code projectId}; otherwise 400 naming {@code field}.
     */
    public static ObjectNode require(ResourceStore store, String projectId, JsonNode value, String field) {
        if (!value.isObject() || !value.path("reference").isTextual()) {
            throw ApiException.badRequest("admin.invalid-access-policy", "Invalid access policy: expected a reference")
                    .at(field);
        }
        String reference = value.path("reference").asText();
        String id = reference.startsWith("AccessPolicy/") ? reference.substring("AccessPolicy/".length()) : "";
        boolean found = ResourceStore.ID.matcher(id).matches() && store.findAnyProject("AccessPolicy", id)
                .filter(policy -> policy.projectId().equals(projectId)).isPresent();
        if (!found) {
            throw ApiException.badRequest("admin.invalid-access-policy", "Invalid access policy: not found in this project")
                    .at(field);
        }
        var out = FhirJson.mapper().createObjectNode().put("reference", "AccessPolicy/" + id);
        if (value.path("display").isTextual()) out.put("display", value.path("display").asText());
        return out;
    }
}
