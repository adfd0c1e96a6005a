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
            return new Scope(projectId, "ClientApplication/" + clientId, superAdmin, policy);
        }
    }
}
