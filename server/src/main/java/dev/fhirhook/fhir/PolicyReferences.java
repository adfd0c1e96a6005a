package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.util.Optional;
import java.util.function.Function;

/**
 * Checks the AccessPolicy references written on memberships, by the admin routes and by every FHIR write
 * ({@link MembershipRules}): a membership pointing at a policy that does not exist, or at another project's,
 * would be judged by rules nobody in the project can see or fix (and its member locked out with a misleading
 * answer). Pure apart from the given look-up.
 */
public final class PolicyReferences {
    private PolicyReferences() {}

    /**
     * The reference {@code {"reference":"AccessPolicy/<id>"}} when {@code value} names a live AccessPolicy of
     * {@code projectId}; otherwise 400 naming {@code field}.
     */
    public static ObjectNode require(ResourceStore store, String projectId, JsonNode value, String field) {
        return require(id -> store.findAnyProject("AccessPolicy", id), projectId, value, field);
    }

    /** As {@link #require(ResourceStore, String, JsonNode, String)}, looking policies up by id with {@code policies}. */
    static ObjectNode require(Function<String, Optional<StoredResource>> policies, String projectId, JsonNode value,
            String field) {
        if (!value.isObject() || !value.path("reference").isTextual()) {
            throw ApiException.badRequest("admin.invalid-access-policy", "Invalid access policy: expected a reference")
                    .at(field);
        }
        String reference = value.path("reference").asText();
        String id = reference.startsWith("AccessPolicy/") ? reference.substring("AccessPolicy/".length()) : "";
        boolean found = ResourceStore.ID.matcher(id).matches() && policies.apply(id)
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
