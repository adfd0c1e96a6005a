package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.OperationInput;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceValidation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * {@code POST /admin/projects/{projectId}/members/{membershipId}}: changes what a membership grants, its
 * {@code accessPolicy}, {@code access[]}, {@code admin} and {@code active}, and nothing else: who the member is
 * ({@code user}, {@code profile}) and where ({@code project}) never change, because changing them would move
 * rights to another identity or into another (say the super-admin) project. Project admins and super admins
 * only. The write moves {@link ResourceStore#securityGeneration()}, so the next request of that member is
 * judged by the new membership. Thread-safe.
 *
 * <p>The body is either the whole ProjectMembership ({@code resourceType} set, as Medplum's app sends it: the
 * four fields are replaced, and one left out is removed) or an object with just the fields to change (one
 * set to {@code null} is removed).
 */
public final class MembershipUpdate {
    static final List<String> CHANGEABLE = List.of("accessPolicy", "access", "admin", "active");
    private static final List<String> IDENTITY = List.of("project", "user", "profile");

    private final ResourceStore store;
    private final ProjectAdmins admins;

    public MembershipUpdate(ResourceStore store, ProjectAdmins admins) {
        this.store = store;
        this.admins = admins;
    }

    /** 200 with the membership as now stored; 404 when it is not a membership of that project. */
    public ApiResponse update(ApiRequest request, Principal principal) {
        var acting = admins.requireAdmin(principal, request.pathParam("projectId"));
        String membershipId = request.pathParam("membershipId");
        ResourceStore.requireValidId(membershipId);
        ObjectNode body = OperationInput.jsonObject(request);
        boolean whole = body.has("resourceType");
        if (whole && !"ProjectMembership".equals(body.path("resourceType").asText())) {
            throw ApiException.badRequest("admin.wrong-type", "Wrong resource type").at("resourceType");
        }
        if (body.has("id") && !membershipId.equals(body.path("id").asText())) {
            throw ApiException.badRequest("fhir.incorrect-id", "Incorrect ID").at("id");
        }
        var written = store.inTransaction((tx, jdbc) -> {
            var current = tx.findAnyProject("ProjectMembership", membershipId)
                    .filter(m -> m.projectId().equals(acting.projectId()))
                    .orElseThrow(() -> ApiException.notFound("admin.no-such-membership", "Membership not found"));
            ObjectNode before = current.json();
            ObjectNode after = before.deepCopy();
            for (String field : IDENTITY) {
                if (body.has(field) && !body.get(field).equals(before.get(field))) {
                    throw ApiException.badRequest("admin.immutable-field", "Cannot change ProjectMembership." + field).at(field);
                }
            }
            for (String field : CHANGEABLE) {
                JsonNode value = body.get(field);
                if (value == null && !whole) continue;
                if (value == null || value.isNull()) {
                    after.remove(field);
                    continue;
                }
                after.set(field, switch (field) {
                    case "accessPolicy" -> PolicyReferences.require(tx, acting.projectId(), value, field);
                    case "access" -> access(tx, acting.projectId(), value);
                    default -> {
                        if (!value.isBoolean()) throw invalid(field, "must be true or false");
                        yield value;
                    }
                });
            }
            var caller = acting.caller();
            if (!caller.superAdmin() && caller.membershipId().equals(membershipId)
                    && !(same(before, after, "accessPolicy") && same(before, after, "access"))) {
                // an admin restricted by a policy must not be able to lift that policy itself
                throw ApiException.forbidden("admin.own-membership",
                        "Forbidden: cannot change the access policies of your own membership");
            }
            ResourceValidation.check(after);
            // elevated: the caller may change these fields, which access policies mark read-only for admins
            return tx.update(acting.elevated(), after, Optional.of(current.versionId().toString()), "PUT").resource();
        });
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, written.content().getBytes(StandardCharsets.UTF_8))
                .withHeader("ETag", written.etag());
    }

    /** {@code access[]}: each entry a policy of this project and optional parameters with a name and a value. */
    private static JsonNode access(ResourceStore tx, String projectId, JsonNode value) {
        if (!value.isArray()) throw invalid("access", "must be an array");
        var out = dev.fhirhook.fhir.FhirJson.mapper().createArrayNode();
        for (int i = 0; i < value.size(); i++) {
            JsonNode entry = value.get(i);
            String at = "access[" + i + "]";
            if (!entry.isObject()) throw invalid(at, "must be an object");
            var checked = out.addObject();
            checked.set("policy", PolicyReferences.require(tx, projectId, entry.path("policy"), at + ".policy"));
            JsonNode parameters = entry.get("parameter");
            if (parameters == null) continue;
            if (!parameters.isArray()) throw invalid(at + ".parameter", "must be an array");
            for (JsonNode parameter : parameters) {
                boolean named = parameter.isObject() && parameter.path("name").isTextual()
                        && !parameter.path("name").asText().isBlank();
                boolean valued = parameter.isObject() && parameter.properties().stream()
                        .anyMatch(p -> p.getKey().startsWith("value"));
                if (!named || !valued) throw invalid(at + ".parameter", "each parameter needs a name and a value");
            }
            checked.set("parameter", parameters);
        }
        return out;
    }

    private static boolean same(ObjectNode before, ObjectNode after, String field) {
        return java.util.Objects.equals(before.get(field), after.get(field));
    }

    private static ApiException invalid(String field, String why) {
        return ApiException.badRequest("admin.invalid-field", "Invalid " + field + ": " + why).at(field);
    }
}
