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

    /** That membership's {@code admin}: the principal administers its project. */
    boolean admin();

    /** Its project is the super-admin project, which reaches every project. */
    boolean superAdmin();

    /** The ClientApplication whose credentials the request carries. */
    String clientId();

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

    /**
     * A client acting as another membership with {@code X-Medplum-On-Behalf-Of} ({@link Delegation}): the request
     * runs in that membership's scope (its project, its policy, its profile as author), never a super admin's.
     *
     * @param actor the client whose credentials the request carries
     * @param scope the scope of the membership it acts as
     * @param admin that membership's {@code admin}
     */
    record OnBehalfOf(Principal actor, Scope scope, boolean admin) implements Principal {
        @Override
        public String projectId() {
            return scope.projectId();
        }

        @Override
        public String profile() {
            return scope.author();
        }

        @Override
        public String membershipId() {
            return scope.membershipId();
        }

        @Override
        public boolean superAdmin() {
            return false;
        }

        @Override
        public String clientId() {
            return actor.clientId();
        }
    }
}
