package dev.fhirhook.policy;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code resource[]} entry of an effective AccessPolicy, parameters already substituted.
 *
 * @param resourceType a type name or {@code *}; null for an entry whose type could not be read, which then
 *     stands for every type
 * @param criteria the whole search string, {@code Type?param=value...}, when the entry has one
 * @param compartment a reference every resource must carry in {@code meta.compartment}, when set
 * @param invalid why a stored entry cannot be enforced; such an entry denies every request it would decide
 */
public record PolicyRule(
        String resourceType,
        Set<Interaction> interactions,
        Optional<String> criteria,
        Optional<String> compartment,
        List<FieldPath> hiddenFields,
        List<FieldPath> readonlyFields,
        Optional<String> invalid) {

    public PolicyRule {
        interactions = Set.copyOf(interactions);
        hiddenFields = List.copyOf(hiddenFields);
        readonlyFields = List.copyOf(readonlyFields);
    }

    /** An entry granting every interaction on {@code type} (or {@code *}) with no further condition. */
    static PolicyRule all(String type) {
        return new PolicyRule(type, Interaction.ALL, Optional.empty(), Optional.empty(), List.of(), List.of(), Optional.empty());
    }

    static PolicyRule readOnly(String type) {
        return new PolicyRule(type, Interaction.READ_ONLY, Optional.empty(), Optional.empty(), List.of(), List.of(), Optional.empty());
    }

    static PolicyRule invalid(String type, String reason) {
        return new PolicyRule(type, Interaction.ALL, Optional.empty(), Optional.empty(), List.of(), List.of(), Optional.of(reason));
    }

    /** True when the entry limits which resources of its type it covers (criteria or compartment). */
    public boolean restricted() {
        return criteria.isPresent() || compartment.isPresent();
    }

    PolicyRule withFields(List<FieldPath> hidden, List<FieldPath> readonly) {
        return new PolicyRule(resourceType, interactions, criteria, compartment, hidden, readonly, invalid);
    }
}
