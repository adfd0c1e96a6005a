package dev.fhirhook.auth;

import dev.fhirhook.audit.SecurityAudit;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.IpRules;
import dev.fhirhook.policy.MembershipPolicies;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules for a ClientApplication acting in its project, in one place so that HTTP Basic, the token
 * endpoint and bearer tokens cannot drift apart: the secret (or {@code retiringSecret}) compared in constant
 * time, {@code status} active when set, a ProjectMembership that exists and is active, and the IP access
 * rules of that membership's policies. The principal carries the membership's effective AccessPolicy
 * (cached by {@link MembershipPolicies}; nothing else is cached here). Thread-safe.
 */
public final class ClientCredentials {
    private static final Logger log = LoggerFactory.getLogger(ClientCredentials.class);

    /** The outcome of checking an id and secret. */
    public sealed interface Check {
        /**
         * @param profile the membership's profile reference, such as {@code ClientApplication/123}
         * @param ipRules the membership's IP rules; they are judged per request ({@link #ipAllowed}), because
         *     the same accepted credentials are reused for requests from other addresses
         */
        record Accepted(Principal.Client principal, String profile, IpRules ipRules) implements Check {}

        /**
         * @param reason Medplum's text for it: {@code Invalid client} or {@code Invalid secret}
         * @param audit the real reason, for the audit log only: an unknown and a switched-off client look alike
         *     to the caller
         * @param check for an inactive client, what was inactive ({@code client status} or {@code membership})
         */
        record Rejected(String reason, SecurityAudit.Reason audit, String check) implements Check {}
    }

    static final Check.Rejected INVALID_CLIENT = new Check.Rejected("Invalid client", SecurityAudit.Reason.INVALID_CLIENT, null);
    static final Check.Rejected CLIENT_OFF = new Check.Rejected("Invalid client", SecurityAudit.Reason.INACTIVE, "client status");
    static final Check.Rejected NO_ACTIVE_MEMBERSHIP =
            new Check.Rejected("Invalid client", SecurityAudit.Reason.INACTIVE, "membership");
    static final Check.Rejected INVALID_SECRET = new Check.Rejected("Invalid secret", SecurityAudit.Reason.INVALID_SECRET, null);

    private final ResourceStore store;
    private final MembershipPolicies policies;

    public ClientCredentials(ResourceStore store, MembershipPolicies policies) {
        this.store = store;
        this.policies = policies;
    }

    /**
     * Whether the membership's IP rules let {@code clientIp} act with these credentials; a refusal is logged
     * (client, membership, address and the deciding rule, never a secret).
     */
    public static boolean ipAllowed(Check.Accepted accepted, String clientIp) {
        return switch (accepted.ipRules().decide(clientIp)) {
            case IpRules.Decision.NoMatch none -> true;
            case IpRules.Decision.Allowed allowed -> true;
            case IpRules.Decision.Blocked blocked -> {
                log.info("IP address not allowed: client {} membership {} address {}: {}", accepted.principal().clientId(),
                        accepted.principal().membershipId(), clientIp, blocked.reason());
                yield false;
            }
        };
    }

    /**
     * 400 with Medplum's {@code Cannot authenticate} text when one of the membership's policies cannot be
     * loaded. Such a membership's IP rules already block every address, so this is the second line of defence.
     */
    static void requireLoadablePolicy(Check.Accepted accepted) {
        if (!accepted.principal().policy().loadable()) {
            log.info("access policy of membership {} cannot be loaded: {}", accepted.principal().membershipId(),
                    accepted.principal().policy().unloadableReason().orElse(""));
            throw MembershipPolicies.cannotAuthenticate();
        }
    }

    /** Checks in Medplum's order: unknown or switched off, then the secret, then the membership. */
    public Check check(String clientId, String secret) {
        var client = store.findAnyProject("ClientApplication", clientId);
        if (client.isEmpty()) return INVALID_CLIENT;
        var json = client.get().json();
        // both compared every time, so the timing does not tell which one matched
        boolean secretMatches = matches(secret, json.path("secret").asText(null))
                | matches(secret, json.path("retiringSecret").asText(null));
        if (!isActive(client.get())) return CLIENT_OFF;
        if (!secretMatches) return INVALID_SECRET;
        return accepted(client.get()).map(Check.class::cast).orElse(NO_ACTIVE_MEMBERSHIP);
    }

    /**
     * The client as it may act now, without its secret: for credentials checked earlier (a bearer token),
     * so that switching the client or its membership off takes effect on tokens already issued.
     */
    public Optional<Check.Accepted> active(String clientId) {
        return store.findAnyProject("ClientApplication", clientId).filter(ClientCredentials::isActive)
                .flatMap(this::accepted);
    }

    private Optional<Check.Accepted> accepted(StoredResource client) {
        String clientId = client.id();
        var membership = store.findMembershipByUser(client.projectId(), "ClientApplication/" + clientId);
        if (membership.isEmpty()) return Optional.empty();
        var pm = membership.get().json();
        if (!pm.path("active").asBoolean(true)) return Optional.empty();
        String projectId = membership.get().projectId();
        boolean superAdmin = store.findAnyProject("Project", projectId)
                .map(p -> p.json().path("superAdmin").asBoolean(false)).orElse(false);
        var effective = policies.effective(membership.get(), superAdmin);
        var principal = new Principal.Client(clientId, membership.get().id(), projectId,
                pm.path("admin").asBoolean(false), superAdmin, effective.policy());
        String profile = pm.path("profile").path("reference").asText("ClientApplication/" + clientId);
        return Optional.of(new Check.Accepted(principal, profile, effective.ipRules()));
    }

    private static boolean isActive(StoredResource client) {
        return "active".equals(client.json().path("status").asText("active"));
    }

    /** Constant time in the secret's content: both sides are hashed first, so lengths leak nothing either. */
    static boolean matches(String given, String expected) {
        if (given == null || expected == null || expected.isEmpty()) return false;
        return MessageDigest.isEqual(sha256(given), sha256(expected));
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
