package dev.fhirhook.policy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads the AccessPolicies a ProjectMembership names ({@code accessPolicy}, then each {@code access[].policy},
 * in that order) from the membership's own project. Not cached; thread-safe.
 */
public final class MembershipPolicies {
    private final ResourceStore store;

    public MembershipPolicies(ResourceStore store) {
        this.store = store;
    }

    /**
     * The concatenated {@code ipAccessRule} lists of the membership's policies. A policy that is referenced but
     * cannot be loaded (missing, deleted, in another project, not an AccessPolicy reference) adds an unreadable
     * rule, which blocks: its rules might have been the ones meant to keep this caller out.
     */
    public IpRules ipRules(StoredResource membership) {
        var references = references(membership);
        if (references.isEmpty()) return IpRules.NONE;
        var stored = new ArrayList<IpRules.Stored>();
        for (String reference : references) {
            var policy = load(membership.projectId(), reference);
            if (policy == null) {
                stored.add(new IpRules.Stored("unloadable policy", null, "block"));
                continue;
            }
            for (JsonNode rule : policy.path("ipAccessRule")) {
                stored.add(new IpRules.Stored(text(rule.path("name")), text(rule.path("value")), text(rule.path("action"))));
            }
        }
        return IpRules.ofStored(List.copyOf(stored));
    }

    /**
     * The scope a membership acts in: its project, its profile as author, and (once the policy work lands)
     * its effective AccessPolicy. Used for principals that are not authenticated over HTTP, such as a Bot
     * running as its own membership.
     */
    public Scope scopeFor(StoredResource membership) {
        String profile = membership.json().path("profile").path("reference").asText("ProjectMembership/" + membership.id());
        return new Scope(membership.projectId(), profile, false);
    }

    /**
     * Whether the membership names at least one policy and every policy it names loads. A public webhook needs
     * this (medplum-compat §4.2 step 5): a membership without a policy has full access, and Medplum checks only
     * that a reference is present.
     */
    public boolean hasLoadablePolicies(StoredResource membership) {
        var references = references(membership);
        return !references.isEmpty() && references.stream().allMatch(r -> load(membership.projectId(), r) != null);
    }

    private static List<String> references(StoredResource membership) {
        var pm = membership.json();
        var references = new ArrayList<String>();
        if (pm.has("accessPolicy")) references.add(pm.path("accessPolicy").path("reference").asText(""));
        for (JsonNode access : pm.path("access")) references.add(access.path("policy").path("reference").asText(""));
        return references;
    }

    private JsonNode load(String projectId, String reference) {
        if (!reference.startsWith("AccessPolicy/")) return null;
        return store.findAnyProject("AccessPolicy", reference.substring("AccessPolicy/".length()))
                .filter(p -> p.projectId().equals(projectId))
                .map(StoredResource::json)
                .orElse(null);
    }

    private static String text(JsonNode node) {
        return node.isTextual() ? node.asText() : null;
    }
}
