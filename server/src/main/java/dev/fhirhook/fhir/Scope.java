package dev.fhirhook.fhir;

import dev.fhirhook.policy.EffectivePolicy;
import java.util.Objects;

/**
 * Whose resources a request may touch, and what it may do with them. A project-bound scope sees and writes
 * only its own project, within its effective AccessPolicy; the super-admin scope reads every project, writes
 * into its own unless a resource names another in {@code meta.project}, and no policy restricts it.
 *
 * @param projectId the project new resources go into
 * @param author reference written to {@code meta.author}, such as {@code ClientApplication/123}
 * @param policy the membership's effective AccessPolicy; {@link EffectivePolicy#UNRESTRICTED} for super admins
 * @param membershipId the ProjectMembership the request acts through, or null for the server's own scopes; its
 *     own membership is one a caller may not loosen ({@link MembershipRules})
 */
public record Scope(String projectId, String author, boolean superAdmin, EffectivePolicy policy, String membershipId) {
    public Scope {
        Objects.requireNonNull(policy, "policy");
        if (superAdmin) policy = EffectivePolicy.UNRESTRICTED;
    }

    /** The scope of the server itself (bootstrap, authentication look-ups): every project, no policy. */
    public static Scope system(String projectId) {
        return new Scope(projectId, "system", true, EffectivePolicy.UNRESTRICTED, null);
    }
}
