package dev.fhirhook.auth;

import dev.fhirhook.fhir.Scope;
import dev.fhirhook.policy.EffectivePolicy;

/**
 * Who a request acts as. Sealed: the identity issue adds users, bearer tokens and bots as new cases, and
 * every switch over principals must then handle them.
 */
public sealed interface Principal {
    /** The project the principal acts in. */
    String projectId();

    /** What the principal may see and write in the store. */
    Scope scope();

    /** The membership's profile, such as {@code ClientApplication/123}: who a bot run names as its requester. */
    String profile();

    /** The ProjectMembership the principal acts through. */
    String membershipId();

    /**
     * A ClientApplication authenticated with its secret.
     *
     * @param superAdmin its project is the super-admin project, which reaches every project
     * @param policy its membership's effective AccessPolicy
     */
    record Client(String clientId, String membershipId, String projectId, boolean admin, boolean superAdmin,
            EffectivePolicy policy) implements Principal {
        @Override
        public Scope scope() {
            return new Scope(projectId, profile(), superAdmin, policy, membershipId);
        }

        @Override
        public String profile() {
            return "ClientApplication/" + clientId;
        }
    }
}
