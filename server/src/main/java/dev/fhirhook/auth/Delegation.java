package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.MembershipPolicies;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code X-Medplum-On-Behalf-Of} (medplum-compat §12.2): an authenticated client makes the request as another
 * ProjectMembership, named as {@code ProjectMembership/<id>} or by its profile ({@code ClientApplication/<id>},
 * {@code Practitioner/<id>}, ...). The request then runs in that membership's scope: its project, its access
 * policy and its profile as {@code meta.author}; never with the sender's own rights, which would be a silent
 * escalation. Thread-safe.
 *
 * <ul>
 *   <li>Only project admins (for memberships of their own project) and clients of the super-admin project (for
 *       any project's) may send it; anyone else gets 403, whatever the value.
 *   <li>A value that is not one reference is 400; a membership that does not exist, or lives in a project the
 *       sender does not administer, is 404 (indistinguishable); an inactive one is 403.
 *   <li>A profile reference is looked up in the sender's own project (super admins name other projects'
 *       memberships by id).
 * </ul>
 */
public final class Delegation {
    static final String HEADER = "x-medplum-on-behalf-of";
    private static final Pattern REFERENCE = Pattern.compile("([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\\-.]{1,64})");

    private final ResourceStore store;
    private final MembershipPolicies policies;

    public Delegation(ResourceStore store, MembershipPolicies policies) {
        this.store = store;
        this.policies = policies;
    }

    /** {@code caller} itself when the request has no such header, else the membership it names as a principal. */
    Principal apply(ApiRequest request, Principal caller) {
        List<String> values = request.headers().get(HEADER);
        if (values == null || values.isEmpty()) return caller;
        if (!caller.admin() && !caller.superAdmin()) {
            throw ApiException.forbidden("auth.on-behalf-of-forbidden",
                    "Forbidden: only project admins may act on behalf of another membership");
        }
        var reference = values.size() == 1 ? REFERENCE.matcher(values.getFirst().strip()) : null;
        if (reference == null || !reference.matches() || reference.group(2).equals(".") || reference.group(2).equals("..")) {
            throw ApiException.badRequest("auth.invalid-on-behalf-of", "Invalid X-Medplum-On-Behalf-Of header")
                    .at("X-Medplum-On-Behalf-Of");
        }
        var membership = find(caller, reference.group(1), reference.group(2))
                .filter(pm -> caller.superAdmin() || pm.projectId().equals(caller.projectId()))
                .orElseThrow(() -> ApiException.notFound("auth.on-behalf-of-not-found", "Not found"));
        if (membership.id().equals(caller.membershipId())) return caller;
        var pm = membership.json();
        if (!pm.path("active").asBoolean(true)) {
            throw ApiException.forbidden("auth.on-behalf-of-inactive", "ProjectMembership is not active");
        }
        return new Principal.OnBehalfOf(caller, policies.scopeFor(membership), pm.path("admin").asBoolean(false));
    }

    private Optional<StoredResource> find(Principal caller, String type, String id) {
        if (type.equals("ProjectMembership")) return store.findAnyProject("ProjectMembership", id);
        return store.findMembershipByProfile(caller.projectId(), type + "/" + id);
    }
}
