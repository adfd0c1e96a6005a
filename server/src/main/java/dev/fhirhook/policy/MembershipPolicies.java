package dev.fhirhook.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.GenerationCache;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Loads the AccessPolicies a ProjectMembership names ({@code accessPolicy}, then each {@code access[].policy},
 * in that order) from the membership's own project, and builds its {@link EffectivePolicy} and IP rules.
 * Thread-safe.
 *
 * <p>The result is cached per membership version for {@link #TTL}, and dropped as soon as any
 * ClientApplication, membership, AccessPolicy or Project write commits in this process
 * ({@link ResourceStore#securityGeneration()}), so a changed policy applies to the next request here and to
 * other nodes of a cluster within the TTL. A cache hit costs no query.
 */
public final class MembershipPolicies {
    static final Duration TTL = Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 10_000;

    /** Medplum's text when a membership's policy cannot be loaded; says nothing about the policy itself. */
    public static final String CANNOT_AUTHENTICATE = "Cannot authenticate: Invalid access policy configuration. "
            + "Please contact your administrator to update your project membership.";

    /**
     * What a membership may do and from where.
     *
     * @param profile the membership's {@code profile} reference, its author in writes
     */
    public record Effective(EffectivePolicy policy, IpRules ipRules, String profile) {}

    /** A version of a membership, seen as a super admin's or not; a new version is a new key. */
    private record Key(String membershipId, UUID versionId, boolean superAdmin) {}

    private final ResourceStore store;
    private final GenerationCache<Key, Effective> cache;

    public MembershipPolicies(ResourceStore store, Clock clock) {
        this.store = store;
        this.cache = new GenerationCache<>(clock, TTL, store::securityGeneration, MAX_ENTRIES);
    }

    /**
     * The membership's effective policy and IP rules. A policy that is referenced but cannot be loaded
     * (missing, deleted, in another project, not an AccessPolicy reference) makes the policy
     * {@linkplain EffectivePolicy#loadable() unloadable} and adds an unreadable IP rule, which blocks: its
     * rules might have been the ones meant to keep this caller out.
     *
     * @param superAdmin the membership's project is the super-admin project: no policy restricts it (its IP rules still apply)
     */
    public Effective effective(StoredResource membership, boolean superAdmin) {
        var lookup = cache.lookup(new Key(membership.id(), membership.versionId(), superAdmin));
        return lookup.hit().orElseGet(() -> lookup.keep(load(membership, superAdmin)));
    }

    /**
     * The scope a membership acts in: its project, its profile as author, and its effective AccessPolicy.
     * For principals that are not authenticated over HTTP, such as a Bot running as its own membership.
     * 400 with Medplum's {@code Cannot authenticate} text when one of its policies cannot be loaded.
     */
    public Scope scopeFor(StoredResource membership) {
        var effective = effective(membership, false); // cached per version: the membership is not parsed per run
        if (!effective.policy().loadable()) throw cannotAuthenticate();
        return new Scope(membership.projectId(), effective.profile(), false, effective.policy(), membership.id());
    }

    public static ApiException cannotAuthenticate() {
        return ApiException.badRequest("auth.invalid-access-policy", CANNOT_AUTHENTICATE);
    }

    private Effective load(StoredResource membership, boolean superAdmin) {
        var pm = membership.json();
        var references = new ArrayList<JsonNode>();
        var parameters = new ArrayList<List<EffectivePolicy.Parameter>>();
        if (pm.has("accessPolicy")) {
            references.add(pm.path("accessPolicy"));
            parameters.add(List.of());
        }
        for (JsonNode access : pm.path("access")) {
            references.add(access.path("policy"));
            parameters.add(parameters(access.path("parameter")));
        }
        var stored = new ArrayList<IpRules.Stored>();
        var sources = new ArrayList<EffectivePolicy.Source>();
        String unloadable = null;
        for (int i = 0; i < references.size(); i++) {
            String reference = references.get(i).path("reference").asText("");
            var policy = load(membership.projectId(), reference);
            if (policy.isEmpty()) {
                stored.add(new IpRules.Stored("unloadable policy", null, "block"));
                unloadable = "cannot load " + (reference.length() > 100 ? reference.substring(0, 100) : reference);
                continue;
            }
            sources.add(new EffectivePolicy.Source(policy.get(), parameters.get(i)));
            for (JsonNode rule : policy.get().path("ipAccessRule")) {
                stored.add(new IpRules.Stored(text(rule.path("name")), text(rule.path("value")), text(rule.path("action"))));
            }
        }
        var ipRules = IpRules.ofStored(List.copyOf(stored));
        String profile = pm.path("profile").path("reference").asText("ProjectMembership/" + membership.id());
        if (unloadable != null) return new Effective(EffectivePolicy.unloadable(unloadable), ipRules, profile);
        if (superAdmin) return new Effective(EffectivePolicy.UNRESTRICTED, ipRules, profile);
        var member = new EffectivePolicy.Member(profile, pm.path("admin").asBoolean(false));
        return new Effective(EffectivePolicy.of(member, sources), ipRules, profile);
    }

    private static List<EffectivePolicy.Parameter> parameters(JsonNode list) {
        var out = new ArrayList<EffectivePolicy.Parameter>();
        for (JsonNode p : list) {
            String name = p.path("name").asText("");
            if (name.isEmpty()) continue;
            out.add(new EffectivePolicy.Parameter(name, Optional.ofNullable(text(p.path("valueString"))),
                    Optional.ofNullable(text(p.path("valueReference").path("reference")))));
        }
        return out;
    }

    private Optional<JsonNode> load(String projectId, String reference) {
        if (!reference.startsWith("AccessPolicy/")) return Optional.empty();
        return store.findAnyProject("AccessPolicy", reference.substring("AccessPolicy/".length()))
                .filter(p -> p.projectId().equals(projectId))
                .map(StoredResource::json);
    }

    private static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : null;
    }
}
