package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.EffectivePolicy;
import dev.fhirhook.policy.FieldPath;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a scope may do with one resource type for one interaction, ready for SQL: the candidate AccessPolicy
 * entries in order (see {@link EffectivePolicy.Decision.Allowed}), each with its criteria parsed. A resource is
 * covered by the first branch it satisfies; that branch's entry supplies the hidden and read-only fields.
 * Immutable and thread-safe.
 *
 * @param branches never empty; only the last may be unrestricted (no criteria, no compartment)
 */
public record TypeAccess(String type, List<Branch> branches) {
    /** Every resource, nothing hidden: the super admin's and the server's own access. */
    static TypeAccess unrestricted(String type, EffectivePolicy.Candidate candidate) {
        return new TypeAccess(type, List.of(new Branch(candidate, List.of(), Optional.empty())));
    }

    /** One candidate entry: its criteria (all must hold) and the compartment reference it requires. */
    public record Branch(EffectivePolicy.Candidate candidate, List<SearchQuery.Criterion> criteria, Optional<String> compartment) {
        public Branch {
            criteria = List.copyOf(criteria);
        }

        boolean unrestricted() {
            return criteria.isEmpty() && compartment.isEmpty();
        }
    }

    /** SQL text with its arguments in placeholder order. */
    public record Sql(String text, List<Object> args) {}

    public TypeAccess {
        branches = List.copyOf(branches);
        if (branches.isEmpty()) throw new IllegalArgumentException("no branch");
    }

    /** Some resources of the type may be outside: the SQL must say which entry a row satisfies. */
    public boolean restricted() {
        return !branches.getFirst().unrestricted();
    }

    /** No entry covers every resource: rows satisfying no branch must be left out. */
    boolean rowsLimited() {
        return !branches.getLast().unrestricted();
    }

    /** Every branch hides and protects the same fields, so which one a row satisfies does not matter for them. */
    public boolean uniformFields() {
        var first = branches.getFirst().candidate();
        return branches.stream().allMatch(b -> b.candidate().hidden().equals(first.hidden())
                && b.candidate().readonly().equals(first.readonly()));
    }

    public EffectivePolicy.Candidate candidate(int branch) {
        return branches.get(branch).candidate();
    }

    /**
     * An SQL expression over the {@code resource} row aliased {@code alias}: the index of the first branch it
     * satisfies, or -1 when none (only possible when {@link #restricted()}).
     */
    public Sql branchIndex(String alias, Scope scope, Instant now) {
        return SearchSql.branchIndex(this, alias, scope, now);
    }

    /** An SQL condition over the row aliased {@code alias}: it satisfies some branch. */
    public Sql condition(String alias, Scope scope, Instant now) {
        return SearchSql.condition(this, alias, scope, now);
    }

    /** The stored resource as the caller may see it when it satisfies {@code branch}: its hidden fields removed. */
    public StoredResource shown(StoredResource resource, int branch) {
        return without(resource, candidate(branch).hidden());
    }

    /** Removes the fields hidden by {@code branch}, in place. */
    public void hide(ObjectNode resource, int branch) {
        for (FieldPath field : candidate(branch).hidden()) field.removeFrom(resource);
    }

    /** {@code resource} with {@code fields} removed from its content; the same object when none is there. */
    public static StoredResource without(StoredResource resource, List<FieldPath> fields) {
        if (fields.isEmpty() || resource.deleted()) return resource;
        var json = resource.json();
        boolean removed = false;
        for (FieldPath field : fields) removed |= field.removeFrom(json);
        if (!removed) return resource;
        return new StoredResource(resource.type(), resource.id(), resource.projectId(), resource.versionId(),
                resource.lastUpdated(), false, resource.method(), FhirJson.text(json));
    }
}
