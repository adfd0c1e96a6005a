package dev.fhirhook.fhir.search;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The search behind conditional create, update, patch and delete. It runs inside the writing transaction
 * after taking a lock on the criteria, so concurrent identical conditional writes are serialised: the
 * second sees what the first wrote and never creates a duplicate. Thread-safe.
 */
public final class ConditionalSearch {
    private static final int STRIPES = 64;

    private final SearchParser parser;
    private final SearchEngine engine;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    public ConditionalSearch(SearchParser parser, SearchEngine engine) {
        this.parser = parser;
        this.engine = engine;
        for (int i = 0; i < STRIPES; i++) stripes[i] = new ReentrantLock();
    }

    /**
     * Runs {@code work} (which opens the writing transaction) after identical conditional writes in this
     * process have finished. Waiters queue here, on virtual threads, instead of each holding a pooled
     * connection while blocked on the database lock; with many identical webhooks at once that would
     * drain the pool for every other request. The database lock still orders writers across nodes.
     */
    public <T> T serialized(Scope scope, String type, Map<String, List<String>> criteria, Supplier<T> work) {
        var lock = stripes[Math.floorMod(key(scope, type, criteria).hashCode(), STRIPES)];
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    private static String key(Scope scope, String type, Map<String, List<String>> criteria) {
        return scope.projectId() + "|" + type + "|" + new TreeMap<>(criteria);
    }

    /** Up to two ids matching {@code criteria}: enough to tell none, one and several apart. */
    public List<String> lockAndMatch(Jdbc tx, String type, Map<String, List<String>> criteria, Scope scope, String baseUrl) {
        return engine.lockAndMatchIds(tx, key(scope, type, criteria), type, parsed(type, criteria), scope, baseUrl, 2);
    }

    /**
     * As {@link #lockAndMatch}, up to two matches' current versions, locked until the transaction ends and read in the
     * same round trip as the lock: for a conditional update, which writes the one match it finds (see
     * {@link ResourceStore#updateLocked}).
     */
    public List<StoredResource> lockAndFind(Jdbc tx, String type, Map<String, List<String>> criteria, Scope scope,
            String baseUrl) {
        return engine.lockAndMatchCurrent(tx, key(scope, type, criteria), type, parsed(type, criteria), scope, baseUrl,
                2);
    }

    /**
     * Up to two ids matching {@code criteria} now, without the lock: for learning which resource criteria address
     * before writing it (a writer takes the lock with {@link #lockAndMatch}). Taking the lock here, ahead of
     * {@link #serialized}, could deadlock with a writer queued there.
     */
    public List<String> match(Jdbc tx, String type, Map<String, List<String>> criteria, Scope scope, String baseUrl) {
        return engine.matchIds(tx, type, parsed(type, criteria), scope, baseUrl, 2);
    }

    private List<SearchQuery.Criterion> parsed(String type, Map<String, List<String>> criteria) {
        if (criteria.isEmpty()) {
            throw ApiException.badRequest("fhir.missing-criteria", "Conditional interactions need search criteria");
        }
        var query = parser.parse(type, criteria, false);
        if (!SearchParser.onlyCriteria(criteria.keySet()) || query.criteria().isEmpty()) {
            throw ApiException.badRequest("fhir.invalid-criteria", "Conditional criteria may contain only search parameters");
        }
        return query.criteria();
    }
}
