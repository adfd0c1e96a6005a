package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The rules every write of a ProjectMembership obeys, on every path: FHIR create, update, conditional update,
 * patch, the entries of batch and transaction Bundles, bots' API calls (the store checks them for callers that
 * are not super admins) and {@code POST /admin/projects/{p}/members/{id}} (which asks here before its
 * elevated write). Pure apart from the AccessPolicy look-up it is given.
 *
 * <ul>
 *   <li>Who the member is and where ({@code project}, {@code user}, {@code profile}) never change: that would
 *       move the membership's rights to another identity or into another project.
 *   <li>Every AccessPolicy it names is one of its own project's (see {@link PolicyReferences}).
 *   <li>A caller that is not a super admin cannot change the policies of its own membership: an admin
 *       restricted by a policy could otherwise lift it.
 * </ul>
 */
public final class MembershipRules {
    private static final List<String> IDENTITY = List.of("project", "user", "profile");
    private static final List<String> POLICIES = List.of("accessPolicy", "access");

    private MembershipRules() {}

    /**
     * The checks of a write by a scope that is not a super admin's.
     *
     * @param written the membership about to be written; identity fields it leaves out get their stored value
     * @param existing the current content, or null when the write creates the membership
     * @param policies looks an AccessPolicy up by id, in the writing transaction
     */
    static void checkWrite(Scope scope, String id, ObjectNode written, JsonNode existing,
            Function<String, Optional<StoredResource>> policies) {
        if (existing != null) {
            for (String field : IDENTITY) {
                // left out: keep what is stored, as for the protected Project fields
                if (!written.has(field) && existing.has(field)) written.set(field, existing.get(field));
            }
            requireIdentityUnchanged(written, existing);
        }
        JsonNode before = existing == null ? FhirJson.mapper().createObjectNode() : existing;
        if (written.has("accessPolicy") && !same(before, written, "accessPolicy")) {
            PolicyReferences.require(policies, scope.projectId(), written.get("accessPolicy"), "accessPolicy");
        }
        if (written.has("access") && !same(before, written, "access")) {
            access(policies, scope.projectId(), written.get("access"));
        }
        requireOwnPoliciesUnchanged(scope, id, before, written);
    }

    /** 400 {@code Cannot change ProjectMembership.<field>} when {@code written} gives an identity field another value. */
    public static void requireIdentityUnchanged(JsonNode written, JsonNode existing) {
        for (String field : IDENTITY) {
            if (written.has(field) && !written.get(field).equals(existing.get(field))) {
                throw ApiException.badRequest("admin.immutable-field", "Cannot change ProjectMembership." + field).at(field);
            }
        }
    }

    /**
     * 403 when {@code caller}, not a super admin, would change {@code accessPolicy} or {@code access} of the
     * membership it acts through.
     */
    public static void requireOwnPoliciesUnchanged(Scope caller, String membershipId, JsonNode before, JsonNode after) {
        if (caller.superAdmin() || !membershipId.equals(caller.membershipId())) return;
        for (String field : POLICIES) {
            if (!same(before, after, field)) {
                throw ApiException.forbidden("admin.own-membership",
                        "Forbidden: cannot change the access policies of your own membership");
            }
        }
    }

    /**
     * {@code access[]} checked: an array of objects, each with a {@code policy} of {@code projectId} and optional
     * {@code parameter[]} entries with a name and a value. Returns the entries with their policy references
     * reduced to what {@link PolicyReferences} keeps.
     */
    public static ArrayNode access(ResourceStore store, String projectId, JsonNode value) {
        return access(id -> store.findAnyProject("AccessPolicy", id), projectId, value);
    }

    private static ArrayNode access(Function<String, Optional<StoredResource>> policies, String projectId, JsonNode value) {
        if (!value.isArray()) throw invalid("access", "must be an array");
        var out = FhirJson.mapper().createArrayNode();
        for (int i = 0; i < value.size(); i++) {
            JsonNode entry = value.get(i);
            String at = "access[" + i + "]";
            if (!entry.isObject()) throw invalid(at, "must be an object");
            var checked = out.addObject();
            checked.set("policy", PolicyReferences.require(policies, projectId, entry.path("policy"), at + ".policy"));
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

    private static boolean same(JsonNode before, JsonNode after, String field) {
        return Objects.equals(before.get(field), after.get(field));
    }

    /** 400 {@code Invalid <field>: <why>}, as the admin route has always answered. */
    public static ApiException invalid(String field, String why) {
        return ApiException.badRequest("admin.invalid-field", "Invalid " + field + ": " + why).at(field);
    }
}
