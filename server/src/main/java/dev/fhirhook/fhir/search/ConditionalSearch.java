package dev.fhirhook.fhir.search;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The search behind conditional create, update, patch and delete. It runs inside the writing transaction
 * after taking a lock on the criteria, so concurrent identical conditional writes are serialised: the
 * second sees what the first wrote and never creates a duplicate. Thread-safe.
 */
public final class ConditionalSearch {
    private final SearchParser parser;
    private final SearchEngine engine;

    public ConditionalSearch(SearchParser parser, SearchEngine engine) {
        this.parser = parser;
        this.engine = engine;
    }

    /** Up to two ids matching {@code criteria}: enough to tell none, one and several apart. */
    public List<String> lockAndMatch(Jdbc tx, String type, Map<String, List<String>> criteria, Scope scope, String baseUrl) {
        if (criteria.isEmpty()) {
            throw ApiException.badRequest("fhir.missing-criteria", "Conditional interactions need search criteria");
        }
        var query = parser.parse(type, criteria, false);
        boolean onlyCriteria = criteria.keySet().stream().allMatch(k -> !k.startsWith("_") || k.equals("_id")
                || k.equals("_lastUpdated") || k.startsWith("_has:") || k.equals("_tag") || k.equals("_profile")
                || k.equals("_security") || k.equals("_source"));
        if (!onlyCriteria || query.criteria().isEmpty()) {
            throw ApiException.badRequest("fhir.invalid-criteria", "Conditional criteria may contain only search parameters");
        }
        ResourceStore.lock(tx, scope.projectId() + "|" + type + "|" + new TreeMap<>(criteria));
        return engine.matchingIds(tx, type, query.criteria(), scope, baseUrl, 2);
    }
}
