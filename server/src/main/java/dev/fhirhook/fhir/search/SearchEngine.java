package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.StoredResource;
import dev.fhirhook.policy.Interaction;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Runs searches: the page of matches (one row more than asked, to know whether there is a next page),
 * the total when asked, and the resources named by {@code _include} / {@code _revinclude}. Never leaves
 * the scope's project, and sees only what the scope's AccessPolicy allows: its criteria are part of the SQL,
 * included resources of other types are checked against their own entries, and hidden fields are removed
 * from everything returned. Thread-safe.
 */
public final class SearchEngine {
    /** Search statements stop after this long (504), so one broad search cannot hold a connection for minutes. */
    public static final java.time.Duration STATEMENT_TIMEOUT = java.time.Duration.ofSeconds(15);
    /** How long a search waits for a free search slot before answering 503. */
    static final java.time.Duration SLOT_WAIT = java.time.Duration.ofSeconds(10);

    private final Jdbc jdbc;
    private final Clock clock;
    private final PolicyCriteria policies;
    private final java.util.concurrent.Semaphore slots; // null inside a transaction: it already holds its connection

    /**
     * @param maxConcurrent searches run at once; keep it below the pool size so that slow searches leave
     *     connections for writes, authentication and the health check
     */
    public SearchEngine(Jdbc jdbc, Clock clock, PolicyCriteria policies, int maxConcurrent) {
        this(jdbc.withQueryTimeout(STATEMENT_TIMEOUT), clock, policies,
                new java.util.concurrent.Semaphore(Math.max(1, maxConcurrent), true));
    }

    private SearchEngine(Jdbc jdbc, Clock clock, PolicyCriteria policies, java.util.concurrent.Semaphore slots) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.policies = policies;
        this.slots = slots;
    }

    /** The same engine reading through {@code tx}, so a transaction's searches see its own writes. */
    public SearchEngine on(Jdbc tx) {
        return new SearchEngine(tx.withQueryTimeout(STATEMENT_TIMEOUT), clock, policies, null);
    }

    /** 403 unless the scope may search {@code type}; checked before the query is parsed, so a denied type says so first. */
    public void checkAccess(Scope scope, String type) {
        policies.require(scope, type, Interaction.SEARCH);
    }

    /**
     * The scope's search access per type for the statements of one search: each type decided once, 403 for a type
     * it may not search. Knows whether any of them put criteria into the SQL.
     */
    private final class Decided implements SearchSql.Policy {
        private final Scope scope;
        private final java.util.HashMap<String, TypeAccess> decided = new java.util.HashMap<>();

        Decided(Scope scope) {
            this.scope = scope;
        }

        @Override
        public TypeAccess of(String type) {
            return decided.computeIfAbsent(type, t -> policies.require(scope, t, Interaction.SEARCH));
        }

        /**
         * As {@link #of}, but empty instead of 403 for a type the scope may not search; a type not decided yet is
         * looked up without joining the statements' types (an include's type must not change how they are planned).
         */
        Optional<TypeAccess> find(String type) {
            var known = decided.get(type);
            return known != null ? Optional.of(known) : policies.find(scope, type, Interaction.SEARCH);
        }

        /** Where the statements run: planned with their values when a policy's criteria are in them (see {@link Jdbc#withCustomPlans()}). */
        Jdbc on(Jdbc db) {
            return decided.values().stream().anyMatch(TypeAccess::restricted) ? db.withCustomPlans() : db;
        }
    }

    /** A page of matches and what was included with them. */
    public record Result(List<ObjectNode> matches, boolean more, Optional<Long> total, List<ObjectNode> included) {}

    public Result search(SearchQuery query, Scope scope, String baseUrl) {
        if (slots == null) return run(query, scope, baseUrl);
        try {
            if (!slots.tryAcquire(SLOT_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw dev.fhirhook.api.ApiException.unavailable("search.busy", "Too many searches at once; retry shortly");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw dev.fhirhook.api.ApiException.unavailable("search.busy", "Too many searches at once; retry shortly");
        }
        try {
            return run(query, scope, baseUrl);
        } finally {
            slots.release();
        }
    }

    private Result run(SearchQuery query, Scope scope, String baseUrl) {
        var policy = new Decided(scope);
        var access = policy.of(query.type());
        new HiddenSearch(policy::find).check(query);
        Optional<Long> total = Optional.empty();
        if (query.total() == SearchQuery.Total.ACCURATE || query.summary() == SearchQuery.Summary.COUNT) {
            var count = SearchSql.count(query, scope, policy, baseUrl, clock.instant());
            total = policy.on(jdbc).queryOne(count.sql(), rs -> rs.getLong(1), count.args().toArray());
        }
        if (query.summary() == SearchQuery.Summary.COUNT || query.count() == 0) {
            return new Result(List.of(), false, total, List.of());
        }
        var page = SearchSql.page(query, scope, policy, baseUrl, clock.instant(), query.count() + 1, query.offset());
        boolean branchColumn = access.restricted() && !access.uniformFields(); // else every branch hides the same fields
        var rows = policy.on(jdbc).query(page.sql(), rs -> {
            var resource = FhirJson.parseStored(rs.getString(1));
            access.hide(resource, branchColumn ? rs.getInt(2) : 0);
            return resource;
        }, page.args().toArray());
        boolean more = rows.size() > query.count();
        var matches = more ? rows.subList(0, query.count()) : rows;
        return new Result(List.copyOf(matches), more, total, included(query, matches, scope));
    }

    /**
     * The ids of the resources matching {@code criteria}, at most {@code limit}, read after taking the transaction's
     * advisory lock on {@code lockKey} ({@link ResourceStore#lock}) in the same round trip; for conditional
     * interactions.
     */
    public List<String> lockAndMatchIds(Jdbc tx, String lockKey, String type, List<SearchQuery.Criterion> criteria,
            Scope scope, String baseUrl, int limit) {
        return ids(tx, lockKey, type, criteria, scope, baseUrl, limit);
    }

    /**
     * As {@link #lockAndMatchIds}, the matches' current versions, locked {@code FOR UPDATE} and read in the same round
     * trip: for a conditional writer that goes on to write the one match, which it then need not read again.
     */
    public List<StoredResource> lockAndMatchCurrent(Jdbc tx, String lockKey, String type,
            List<SearchQuery.Criterion> criteria, Scope scope, String baseUrl, int limit) {
        return match(tx, lockKey, type, criteria, scope, (policy, now) -> SearchSql.rowsForUpdate(
                ResourceStore.CURRENT_ROW, type, criteria, scope, policy, baseUrl, now, limit), ResourceStore::currentRow);
    }

    /** As {@link #lockAndMatchIds}, without the lock: what the criteria match now, for checks that write nothing. */
    public List<String> matchIds(Jdbc tx, String type, List<SearchQuery.Criterion> criteria, Scope scope,
            String baseUrl, int limit) {
        return ids(tx, null, type, criteria, scope, baseUrl, limit);
    }

    /** The ids matching {@code criteria}, after the lock on {@code lockKey} unless it is null. */
    private List<String> ids(Jdbc tx, String lockKey, String type, List<SearchQuery.Criterion> criteria, Scope scope,
            String baseUrl, int limit) {
        return match(tx, lockKey, type, criteria, scope, (policy, now) -> SearchSql.ids(type, criteria, scope, policy,
                baseUrl, now, limit), rs -> rs.getString(1));
    }

    private <T> List<T> match(Jdbc tx, String lockKey, String type, List<SearchQuery.Criterion> criteria, Scope scope,
            BiFunction<SearchSql.Policy, Instant, SearchSql.Statement> statement, Jdbc.RowMapper<T> rows) {
        var policy = new Decided(scope);
        policy.of(type); // decided once, for the check and the statement
        new HiddenSearch(policy::find).check(type, criteria);
        var sql = statement.apply(policy, clock.instant());
        if (lockKey == null) return policy.on(tx).query(sql.sql(), rows, sql.args().toArray());
        return policy.on(tx).queryAfter(ResourceStore.LOCK, new Object[] {lockKey}, sql.sql(), rows, sql.args().toArray());
    }

    /**
     * Of {@code found}, what the scope may search, with hidden fields removed, in the same order. A type the
     * scope may not search is left out rather than refused: the search itself was allowed.
     */
    private List<ObjectNode> visible(List<ObjectNode> found, Scope scope) {
        var byType = new LinkedHashMap<String, List<ObjectNode>>();
        for (var r : found) byType.computeIfAbsent(r.path("resourceType").asText(), k -> new ArrayList<>()).add(r);
        var kept = new java.util.IdentityHashMap<ObjectNode, Boolean>();
        for (var e : byType.entrySet()) {
            var access = policies.find(scope, e.getKey(), Interaction.SEARCH);
            if (access.isEmpty()) continue;
            if (!access.get().restricted()) {
                for (var r : e.getValue()) {
                    access.get().hide(r, 0);
                    kept.put(r, true);
                }
                continue;
            }
            var ids = e.getValue().stream().map(r -> r.path("id").asText()).toArray(String[]::new);
            var allowed = SearchSql.allowed(access.get(), scope, ids, clock.instant());
            var branches = new java.util.HashMap<String, Integer>();
            for (var row : jdbc.withCustomPlans().query(allowed.sql(), rs -> Map.entry(rs.getString(1), rs.getInt(2)), allowed.args().toArray())) {
                branches.put(row.getKey(), row.getValue());
            }
            for (var r : e.getValue()) {
                Integer branch = branches.get(r.path("id").asText());
                if (branch == null || branch < 0) continue;
                access.get().hide(r, branch);
                kept.put(r, true);
            }
        }
        return found.stream().filter(kept::containsKey).toList();
    }

    private List<ObjectNode> included(SearchQuery query, List<ObjectNode> matches, Scope scope) {
        if (matches.isEmpty() || (query.includes().isEmpty() && query.revIncludes().isEmpty())) return List.of();
        var seen = new LinkedHashMap<String, ObjectNode>();
        matches.forEach(m -> seen.put(key(m), null)); // matches are not repeated as includes
        var found = new LinkedHashMap<String, ObjectNode>();
        List<ObjectNode> level = matches;
        for (int depth = 0; depth < 2 && !level.isEmpty(); depth++) {
            var next = new ArrayList<ObjectNode>();
            for (var include : query.includes()) {
                if (depth == 1 && !include.iterate()) continue;
                next.addAll(forward(include, level, scope));
            }
            for (var include : query.revIncludes()) {
                if (depth == 1 && !include.iterate()) continue;
                next.addAll(reverse(include, level, scope));
            }
            level = new ArrayList<>();
            for (var resource : visible(next, scope)) {
                String k = key(resource);
                if (seen.containsKey(k) || found.containsKey(k)) continue;
                found.put(k, resource);
                level.add(resource);
            }
        }
        return List.copyOf(found.values());
    }

    /** Resources that {@code level}'s resources of the include's source type refer to. */
    private List<ObjectNode> forward(SearchQuery.Include include, List<ObjectNode> level, Scope scope) {
        var ids = idsOf(level, include.sourceType());
        if (ids.length == 0) return List.of();
        var sql = new StringBuilder("""
                select t.content from search_reference x
                  join resource t on t.resource_type = x.target_type and t.id = x.target_id
                 where x.resource_type = ? and x.resource_id = any(?) and x.param = ? and not t.deleted
                """);
        var args = new ArrayList<Object>(List.of(include.sourceType(), ids, include.param().code()));
        if (include.targetType() != null) {
            sql.append(" and t.resource_type = ?");
            args.add(include.targetType());
        }
        if (!scope.superAdmin()) {
            sql.append(" and x.project_id = ? and t.project_id = ?");
            args.add(scope.projectId());
            args.add(scope.projectId());
        }
        sql.append(" limit 1000");
        return jdbc.query(sql.toString(), rs -> FhirJson.parseStored(rs.getString(1)), args.toArray());
    }

    /** Resources of the include's source type that refer to {@code level}'s resources. */
    private List<ObjectNode> reverse(SearchQuery.Include include, List<ObjectNode> level, Scope scope) {
        var byType = new LinkedHashMap<String, List<String>>();
        for (var r : level) byType.computeIfAbsent(r.path("resourceType").asText(), k -> new ArrayList<>()).add(r.path("id").asText());
        var out = new ArrayList<ObjectNode>();
        for (Map.Entry<String, List<String>> e : byType.entrySet()) {
            if (include.targetType() != null && !include.targetType().equals(e.getKey())) continue;
            var sql = new StringBuilder("""
                    select distinct s.content from search_reference x
                      join resource s on s.resource_type = x.resource_type and s.id = x.resource_id
                     where x.resource_type = ? and x.param = ? and x.target_type = ? and x.target_id = any(?) and not s.deleted
                    """);
            var args = new ArrayList<Object>(List.of(include.sourceType(), include.param().code(), e.getKey(),
                    e.getValue().toArray(String[]::new)));
            if (!scope.superAdmin()) {
                sql.append(" and x.project_id = ? and s.project_id = ?");
                args.add(scope.projectId());
                args.add(scope.projectId());
            }
            sql.append(" limit 1000");
            out.addAll(jdbc.query(sql.toString(), rs -> FhirJson.parseStored(rs.getString(1)), args.toArray()));
        }
        return out;
    }

    private static String[] idsOf(List<ObjectNode> resources, String type) {
        return resources.stream().filter(r -> type.equals(r.path("resourceType").asText()))
                .map(r -> r.path("id").asText()).toArray(String[]::new);
    }

    private static String key(ObjectNode resource) {
        return resource.path("resourceType").asText() + "/" + resource.path("id").asText();
    }
}
