package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.MembershipRules;
import dev.fhirhook.fhir.OperationInput;
import dev.fhirhook.fhir.PolicyReferences;
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
 * judged by the new membership. The rules this route shares with every FHIR write of a membership are
 * {@link MembershipRules}'. Thread-safe.
 *
 * <p>The body is either the whole ProjectMembership ({@code resourceType} set, as Medplum's app sends it: the
 * four fields are replaced, and one left out is removed) or an object with just the fields to change (one
 * set to {@code null} is removed).
 */
public final class MembershipUpdate {
    static final List<String> CHANGEABLE = List.of("accessPolicy", "access", "admin", "active");

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
            MembershipRules.requireIdentityUnchanged(body, before);
            for (String field : CHANGEABLE) {
                JsonNode value = body.get(field);
                if (value == null && !whole) continue;
                if (value == null || value.isNull()) {
                    after.remove(field);
                    continue;
                }
                after.set(field, switch (field) {
                    case "accessPolicy" -> PolicyReferences.require(tx, acting.projectId(), value, field);
                    case "access" -> MembershipRules.access(tx, acting.projectId(), value);
                    default -> {
                        if (!value.isBoolean()) throw MembershipRules.invalid(field, "must be true or false");
                        yield value;
                    }
                });
            }
            MembershipRules.requireOwnPoliciesUnchanged(acting.scope(), membershipId, before, after);
            ResourceValidation.check(after);
            // elevated: the caller may change these fields, which access policies mark read-only for admins
            return tx.update(acting.elevated(), after, Optional.of(current.versionId().toString()), "PUT").resource();
        });
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, written.content().getBytes(StandardCharsets.UTF_8))
                .withHeader("ETag", written.etag());
    }
}
