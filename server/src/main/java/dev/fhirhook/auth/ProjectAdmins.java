package dev.fhirhook.auth;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;

/**
 * Who may administer a project: super admins (any project) and the project's own admin members
 * ({@code ProjectMembership.admin}). Every admin route asks here first, so the rule is written once.
 * Thread-safe.
 */
public final class ProjectAdmins {
    private final ResourceStore store;

    public ProjectAdmins(ResourceStore store) {
        this.store = store;
    }

    /**
     * An admin action about to run.
     *
     * @param scope the caller's own scope in the target project: writes through it are judged as the caller's
     * @param elevated the server's scope in the target project, for writes the caller is entitled to make here
     *     but which access policies would otherwise restrict (a membership's {@code user} is read-only for
     *     project admins, yet creating a client must set it); {@code meta.author} still names the caller
     */
    public record Acting(String projectId, Principal caller, Scope scope, Scope elevated) {}

    /**
     * The caller acting as an admin of {@code projectId}: 403 unless it is a super admin or an admin member of
     * that very project; 400 for an id that cannot be a project id; 404 when a super admin names no project.
     * Another project's id answers 403 like an unknown one, so project ids cannot be probed.
     */
    public Acting requireAdmin(Principal caller, String projectId) {
        if (!caller.admin() && !caller.superAdmin()) throw forbidden();
        ResourceStore.requireValidId(projectId);
        if (!caller.superAdmin() && !caller.projectId().equals(projectId)) throw forbidden();
        if (caller.superAdmin() && store.findAnyProject("Project", projectId).isEmpty()) {
            throw ApiException.notFound("admin.no-such-project", "Project not found");
        }
        return acting(caller, projectId);
    }

    /**
     * The caller acting as an admin of its own project, which needs {@code ProjectMembership.admin} itself:
     * {@code Bot/$init} in Medplum asks only for that, not for super-admin power.
     */
    public Acting requireMembershipAdmin(Principal caller) {
        if (!caller.admin()) throw forbidden();
        return acting(caller, caller.projectId());
    }

    /** Project admins of the project a resource lives in, or super admins: for instance operations. */
    public Acting requireAdminOf(Principal caller, String resourceProjectId) {
        if (caller.superAdmin()) return acting(caller, resourceProjectId);
        if (!caller.admin() || !caller.projectId().equals(resourceProjectId)) throw forbidden();
        return acting(caller, resourceProjectId);
    }

    /**
     * A new active membership of {@code user} (such as {@code ClientApplication/123}) in {@code projectId},
     * with the user as its own profile, as Medplum creates them for clients and bots.
     */
    public static com.fasterxml.jackson.databind.node.ObjectNode membership(String projectId, String user) {
        var membership = dev.fhirhook.fhir.FhirJson.mapper().createObjectNode();
        membership.put("resourceType", "ProjectMembership");
        membership.putObject("project").put("reference", "Project/" + projectId);
        membership.putObject("user").put("reference", user);
        membership.putObject("profile").put("reference", user);
        return membership;
    }

    private static Acting acting(Principal caller, String projectId) {
        String author = caller.scope().author();
        return new Acting(projectId, caller, new Scope(projectId, author, caller.superAdmin(), caller.scope().policy(),
                caller.membershipId()), new Scope(projectId, author, true, dev.fhirhook.policy.EffectivePolicy.UNRESTRICTED,
                caller.membershipId()));
    }


    static ApiException forbidden() {
        return ApiException.forbidden("auth.project-admin-only", "Forbidden");
    }
}
