package dev.fhirhook.fhir.search;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import dev.fhirhook.policy.FieldPath;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Refuses a search that would reveal a field the caller's AccessPolicy hides. Hidden fields are removed from every
 * answer, but a filter, sort key, chain, {@code _has} or include that reads one would still tell its value:
 * {@code Patient?birthdate=1990-01-01} answers exactly the patients born that day. Such a search is 403, naming the
 * parameter. Applies to searches and to the criteria of conditional interactions; the fields of every entry that
 * may decide the type count. A type whose entries hide nothing costs one lookup. Thread-safe.
 */
final class HiddenSearch {
    private static final List<String> LAST_UPDATED = List.of("meta", "lastUpdated");
    /** What each parameter reads; parameters are few and live as long as the server. */
    private static final ConcurrentHashMap<SearchParam, Set<List<String>>> READS = new ConcurrentHashMap<>();

    private final Function<String, Optional<TypeAccess>> access;

    /** @param access the caller's search access to a type, empty when none (that refusal is the query's own) */
    HiddenSearch(Function<String, Optional<TypeAccess>> access) {
        this.access = access;
    }

    void check(SearchQuery query) {
        check(query.type(), query.criteria());
        for (var key : query.sort()) check(query.type(), key.code(), reads(key.param()));
        for (var include : query.includes()) check(include);
        for (var include : query.revIncludes()) check(include);
    }

    /** An include reads the reference it follows, on the type it starts from. */
    private void check(SearchQuery.Include include) {
        check(include.sourceType(), include.param().code(), reads(include.param()));
    }

    void check(String type, List<SearchQuery.Criterion> criteria) {
        for (var criterion : criteria) {
            switch (criterion) {
                case SearchQuery.Match m -> check(type, m.param().code(), reads(m.param()));
                case SearchQuery.Column c -> {
                    if (c.name().equals("_lastUpdated")) check(type, c.name(), Set.of(LAST_UPDATED));
                }
                case SearchQuery.Chain c -> {
                    check(type, c.reference().code(), reads(c.reference()));
                    check(c.targetType(), List.of(c.inner()));
                }
                case SearchQuery.Has h -> {
                    check(h.sourceType(), h.reference().code(), reads(h.reference()));
                    check(h.sourceType(), List.of(h.inner()));
                }
            }
        }
    }

    private void check(String type, String code, Set<List<String>> reads) {
        var allowed = access.apply(type);
        if (allowed.isEmpty()) return;
        for (var branch : allowed.get().branches()) {
            for (FieldPath hidden : branch.candidate().hidden()) {
                for (var path : reads) {
                    if (overlaps(path, hidden.steps())) {
                        throw ApiException.forbidden("policy.hidden-field", "Cannot search " + type + " by " + code
                                + ": it reads a field the access policy hides");
                    }
                }
            }
        }
    }

    /** One path lies on the other: a parameter on {@code name} reads a hidden {@code name.family}, and the reverse. */
    static boolean overlaps(List<String> read, List<String> hidden) {
        int n = Math.min(read.size(), hidden.size());
        for (int i = 0; i < n; i++) {
            String a = read.get(i), b = hidden.get(i);
            if (!(a.equals(b) || FhirPath.isChoiceOf(a, b) || FhirPath.isChoiceOf(b, a))) return false;
        }
        return true;
    }

    /** The element paths a parameter reads: its expression's, and its components' relative to them. */
    static Set<List<String>> reads(SearchParam param) {
        return READS.computeIfAbsent(param, p -> {
            if (p.expression().isEmpty()) { // served from columns: _lastUpdated, and _id, which no policy hides
                return p.code().equals("_lastUpdated") ? Set.of(LAST_UPDATED) : Set.of(List.of("id"));
            }
            var base = p.expression().get().readPaths(List.of(List.of()));
            if (p.components().isEmpty()) return Set.copyOf(base);
            // a composite's expression picks the groups (often the resource itself); its components read the values
            var reads = new LinkedHashSet<List<String>>();
            for (var component : p.components()) reads.addAll(component.expression().readPaths(new ArrayList<>(base)));
            return Set.copyOf(reads);
        });
    }
}
