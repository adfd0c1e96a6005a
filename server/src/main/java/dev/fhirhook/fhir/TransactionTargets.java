package dev.fhirhook.fhir;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.QueryString;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The resources a transaction's writing entries (DELETE, POST, PUT, PATCH) address, each claimed by one entry.
 * FHIR fails a transaction whose resource identities overlap, resolved conditional identities included: two
 * entries writing one resource make the outcome depend on the processing order, and write versions the client
 * never sees. A resource is claimed by its literal {@code Type/id}, by the id a condition resolves to, and, for
 * conditional entries, by the criteria themselves (two entries with the same criteria address the same resource,
 * even one that does not exist yet). A second claim is a 400 naming both entries. One per transaction; not
 * thread-safe.
 */
final class TransactionTargets {
    private final Map<String, Integer> owners = new HashMap<>();

    /** Claims what the entries name by themselves, before anything is looked up: literal ids and criteria. */
    static TransactionTargets named(List<BundleEntry> entries) {
        var targets = new TransactionTargets();
        for (var e : entries) {
            switch (e.method()) {
                case "PUT", "PATCH", "DELETE" -> {
                    if (e.path().size() == 2) targets.claim(e.relativePath(), e);
                    else targets.claim(criteria(e.type(), e.query()), e);
                }
                case "POST" -> {
                    String ifNoneExist = e.request().path("ifNoneExist").asText("");
                    if (!ifNoneExist.isEmpty()) targets.claim(criteria(e.type(), ifNoneExist), e);
                }
                default -> { } // GET and HEAD change nothing
            }
        }
        return targets;
    }

    /** Claims {@code Type/id} for {@code entry}; 400 when another entry claimed it. */
    void claim(String type, String id, BundleEntry entry) {
        claim(type + "/" + id, entry);
    }

    private void claim(String target, BundleEntry entry) {
        Integer owner = owners.putIfAbsent(target, entry.index());
        if (owner == null || owner == entry.index()) return;
        int later = Math.max(owner, entry.index());
        int earlier = Math.min(owner, entry.index());
        throw ApiException.badRequest("bundle.overlapping-entries", "Invalid entry[" + later + "]: it and entry["
                + earlier + "] both address " + BundleEntry.quoted(target) + ", and a transaction may create, change"
                + " or delete a resource in one entry only").at("entry[" + later + "]");
    }

    /** The criteria in one spelling whatever the order of their parameters, such as {@code Patient?a=1&b=2}. */
    private static String criteria(String type, String query) {
        var sorted = new TreeMap<>(QueryString.parse(query));
        return type + "?" + sorted.entrySet().stream()
                .flatMap(p -> p.getValue().stream().map(value -> p.getKey() + "=" + value))
                .collect(Collectors.joining("&"));
    }
}
