package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.db.DataAccessException;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.search.SearchIndexer;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The FHIR resource store on PostgreSQL: versioned writes, reads and history, always inside a {@link Scope}.
 * A resource outside the scope's project behaves exactly like one that does not exist (404), so ids never
 * leak across projects. Every write is one transaction that updates the current row and appends a version.
 * Thread-safe.
 */
public final class ResourceStore {
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final String COLUMNS = "resource_type, id, project_id, version_id, last_updated, deleted, content";
    private static final String HISTORY_COLUMNS =
            "resource_type, id, project_id, version_id, last_updated, deleted, request_method, content";

    private final Jdbc jdbc;
    private final Clock clock;
    private final SearchIndexer indexer;

    /** Types whose writes change who may authenticate and as what; caches of principals depend on them. */
    public static final java.util.Set<String> SECURITY_TYPES =
            java.util.Set.of("ClientApplication", "ProjectMembership", "Project", "AccessPolicy", "Bot", "User");

    /**
     * Counts committed writes of {@link #SECURITY_TYPES} in this process; shared by the transaction-bound
     * copies of the store. {@code pending} is non-null in such a copy and records that its transaction wrote
     * one, so the count moves only once that transaction has committed.
     */
    private final java.util.concurrent.atomic.AtomicLong securityGeneration;
    private final boolean[] pending;

    public ResourceStore(Jdbc jdbc, Clock clock, SearchIndexer indexer) {
        this(jdbc, clock, indexer, new java.util.concurrent.atomic.AtomicLong(), null);
    }

    private ResourceStore(Jdbc jdbc, Clock clock, SearchIndexer indexer,
            java.util.concurrent.atomic.AtomicLong securityGeneration, boolean[] pending) {
        this.securityGeneration = securityGeneration;
        this.pending = pending;
        this.jdbc = jdbc;
        this.clock = clock;
        this.indexer = indexer;
    }

    /** Work done in one transaction with a store bound to it and the transaction's JDBC. */
    @FunctionalInterface
    public interface TxWork<T> {
        T run(ResourceStore store, Jdbc tx);
    }

    /**
     * Runs {@code work} in one transaction: every store call made through the given store commits or rolls
     * back together. Nested calls join the outer transaction.
     */
    public <T> T inTransaction(TxWork<T> work) {
        if (pending != null) return work.run(this, jdbc); // already inside one: join it
        boolean[] wrote = new boolean[1];
        T result = jdbc.inTransaction(tx -> work.run(new ResourceStore(tx, clock, indexer, securityGeneration, wrote), tx));
        if (wrote[0]) securityGeneration.incrementAndGet();
        return result;
    }

    /**
     * Moves whenever a write of a {@link #SECURITY_TYPES} resource has committed in this process. A cache of
     * authentication results reads it before looking anything up and trusts an entry only while it is unchanged.
     */
    public long securityGeneration() {
        return securityGeneration.get();
    }

    /** Called after a write of {@code type} returned: committed, or (in a transaction copy) to be committed. */
    private void wrote(String type) {
        if (!SECURITY_TYPES.contains(type)) return;
        if (pending != null) pending[0] = true;
        else securityGeneration.incrementAndGet();
    }

    /**
     * Serialises, until the end of the current transaction, every writer holding the same key: conditional
     * interactions lock on their criteria so that concurrent identical ones see each other's result.
     */
    public static void lock(Jdbc tx, String key) {
        tx.query("select pg_advisory_xact_lock(hashtextextended(?, 0))", rs -> 1, key);
    }

    /** The result of an update: the version now current and whether it created the resource. */
    public record Written(StoredResource resource, boolean created) {}

    /** One page of history, newest first. */
    public record HistoryPage(List<StoredResource> versions, Optional<Long> total) {}

    public static void requireValidId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw ApiException.badRequest("fhir.invalid-id",
                    "Invalid id: must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'");
        }
    }

    /** Creates a resource with a new server-assigned id. {@code resource} must already be validated. */
    public StoredResource create(Scope scope, ObjectNode resource) {
        return create(scope, resource, UUID.randomUUID().toString());
    }

    /** Creates a resource with an id the server chose beforehand (transactions assign ids to urn:uuid entries first). */
    public StoredResource create(Scope scope, ObjectNode resource, String id) {
        String type = resource.get("resourceType").asText();
        AdminRules.checkWrite(scope, type, resource, null);
        var created = jdbc.inTransaction(tx -> {
            var version = newVersion(scope, type, id, resource, projectFor(scope, type, id, resource), "POST");
            insertCurrent(tx, version);
            return version.stored();
        });
        wrote(type);
        return created;
    }

    /** Reads the current version; 404 when absent or outside the scope, 410 when deleted. */
    public StoredResource read(Scope scope, String type, String id) {
        AdminRules.checkAccess(scope, type);
        var current = findCurrent(jdbc, scope, type, id, false).orElseThrow(ApiException::notFound);
        if (current.deleted()) throw ApiException.gone();
        return current;
    }

    public StoredResource readVersion(Scope scope, String type, String id, String versionId) {
        AdminRules.checkAccess(scope, type);
        UUID vid = parseVersionId(versionId).orElseThrow(ApiException::notFound);
        var where = new Where(scope, "resource_type = ? and id = ? and version_id = ?", type, id, vid);
        var version = jdbc.queryOne("select " + HISTORY_COLUMNS + " from resource_history" + where.sql(),
                ResourceStore::historyRow, where.args()).orElseThrow(ApiException::notFound);
        if (version.deleted()) throw ApiException.gone();
        return version;
    }

    /**
     * Writes a new version of {@code type/id}, creating it when absent (update-as-create with a client id).
     *
     * @param ifMatch the version the client last saw ({@code If-Match}), if it sent one
     * @param method {@code PUT} or {@code PATCH}, recorded in history
     */
    public Written update(Scope scope, ObjectNode resource, Optional<String> ifMatch, String method) {
        String type = resource.get("resourceType").asText();
        String id = resource.get("id").asText();
        requireValidId(id);
        for (int attempt = 0; ; attempt++) {
            try {
                var written = jdbc.inTransaction(tx -> {
                    var existing = findCurrent(tx, Scope.system(scope.projectId()), type, id, true);
                    if (existing.isPresent() && !scope.superAdmin()
                            && !existing.get().projectId().equals(scope.projectId())) {
                        throw ApiException.notFound();
                    }
                    if (ifMatch.isPresent() && (existing.isEmpty() || existing.get().deleted()
                            || !matchesVersion(ifMatch.get(), existing.get()))) {
                        throw ApiException.preconditionFailed("fhir.version-mismatch", "Precondition Failed");
                    }
                    AdminRules.checkWrite(scope, type, resource,
                            existing.filter(r -> !r.deleted()).map(StoredResource::json).orElse(null));
                    if (existing.isEmpty()) {
                        var version = newVersion(scope, type, id, resource, projectFor(scope, type, id, resource), method);
                        insertCurrent(tx, version);
                        return new Written(version.stored(), true);
                    }
                    var old = existing.get();
                    if (!old.deleted() && sameContent(old.json(), resource)) return new Written(old, false);
                    var version = newVersion(scope, type, id, resource, old.projectId(), method);
                    var stored = version.stored();
                    indexer.replace(tx, stored.projectId(), type, id, version.json(), true);
                    tx.update("""
                            update resource set version_id = ?, last_updated = ?, deleted = false, content = ?
                             where resource_type = ? and id = ?
                            """, stored.versionId(), stored.lastUpdated(), stored.content(), type, id);
                    appendHistory(tx, stored);
                    return new Written(stored, old.deleted());
                });
                wrote(type);
                return written;
            } catch (DataAccessException e) {
                // Two clients created the same new id at once: the loser retries as an update.
                // inside an outer transaction the failed statement has aborted it: a retry there cannot succeed
                if (!"23505".equals(e.sqlState()) || attempt >= 2 || pending != null) throw e;
            }
        }
    }

    /** {@code If-Match: *} matches any current version; otherwise the version id must be the current one. */
    private static boolean matchesVersion(String ifMatch, StoredResource current) {
        return ifMatch.equals("*") || ifMatch.equals(current.versionId().toString());
    }

    /** Marks the resource deleted, keeping its history. 404 when absent, 410 when already deleted. */
    public void delete(Scope scope, String type, String id, Optional<String> ifMatch) {
        AdminRules.checkAccess(scope, type);
        if (!scope.superAdmin() && type.equals("Project")) {
            throw ApiException.forbidden("auth.super-admin-only", "Only super admins can delete projects");
        }
        jdbc.inTransaction(tx -> {
            var current = findCurrent(tx, scope, type, id, true).orElseThrow(ApiException::notFound);
            if (current.deleted()) throw ApiException.gone();
            if (ifMatch.isPresent() && !matchesVersion(ifMatch.get(), current)) {
                throw ApiException.preconditionFailed("fhir.version-mismatch", "Precondition Failed");
            }
            var version = new StoredResource(type, id, current.projectId(), UUID.randomUUID(), now(), true,
                    "DELETE", current.content());
            tx.update("""
                    update resource set version_id = ?, last_updated = ?, deleted = true
                     where resource_type = ? and id = ?
                    """, version.versionId(), version.lastUpdated(), type, id);
            indexer.remove(tx, type, id);
            appendHistory(tx, version);
            return null;
        });
        wrote(type);
    }

    /** History of one resource, deleted versions included; 404 when it never existed in scope. */
    public HistoryPage instanceHistory(Scope scope, String type, String id, int count, int offset, Optional<Instant> since) {
        AdminRules.checkAccess(scope, type);
        findCurrent(jdbc, scope, type, id, false).orElseThrow(ApiException::notFound);
        var where = new Where(scope, "resource_type = ? and id = ?", type, id);
        since.ifPresent(s -> where.and("last_updated >= ?", s));
        var versions = jdbc.query("select " + HISTORY_COLUMNS + " from resource_history" + where.sql()
                        + " order by seq desc limit ? offset ?",
                ResourceStore::historyRow, where.argsAnd(count, offset));
        long total = jdbc.queryOne("select count(*) from resource_history" + where.sql(), rs -> rs.getLong(1),
                where.args()).orElse(0L);
        return new HistoryPage(versions, Optional.of(total));
    }

    /** History of every resource of a type in scope, newest first. */
    public HistoryPage typeHistory(Scope scope, String type, int count, int offset, Optional<Instant> since) {
        AdminRules.checkAccess(scope, type);
        var where = new Where(scope, "resource_type = ?", type);
        since.ifPresent(s -> where.and("last_updated >= ?", s));
        var versions = jdbc.query("select " + HISTORY_COLUMNS + " from resource_history" + where.sql()
                + " order by seq desc limit ? offset ?", ResourceStore::historyRow, where.argsAnd(count, offset));
        return new HistoryPage(versions, Optional.empty());
    }

    /** Reads the current row, deleted or not, across all projects; for the server's own look-ups. */
    public Optional<StoredResource> findAnyProject(String type, String id) {
        if (!ID.matcher(id).matches()) return Optional.empty();
        return jdbc.queryOne("select " + COLUMNS + " from resource where resource_type = ? and id = ?",
                ResourceStore::currentRow, type, id).filter(r -> !r.deleted());
    }

    /** Reads the current row across all projects, deleted or not ({@link StoredResource#deleted()}). */
    public Optional<StoredResource> findCurrentAnyProject(String type, String id) {
        if (!ID.matcher(id).matches()) return Optional.empty();
        return jdbc.queryOne("select " + COLUMNS + " from resource where resource_type = ? and id = ?",
                ResourceStore::currentRow, type, id);
    }

    /**
     * The live ProjectMembership in {@code projectId} whose {@code user} is the given reference. Limited to
     * the user's own project, so a membership written elsewhere naming someone else's client means nothing.
     */
    public Optional<StoredResource> findMembershipByUser(String projectId, String userReference) {
        return jdbc.query("select " + COLUMNS + """
                         from resource
                        where resource_type = 'ProjectMembership' and not deleted
                          and (content::jsonb) -> 'user' ->> 'reference' = ?
                          and project_id = ?
                        order by last_updated
                        limit 1
                        """, ResourceStore::currentRow, userReference, projectId).stream().findFirst();
    }

    /** Every live resource of {@code type} in {@code projectId}, oldest first; for small server-owned sets (signing keys). */
    public List<StoredResource> findAllInProject(String projectId, String type) {
        return jdbc.query("select " + COLUMNS + """
                         from resource
                        where resource_type = ? and project_id = ? and not deleted
                        order by last_updated, id
                        """, ResourceStore::currentRow, type, projectId);
    }

    /** The project marked {@code superAdmin}, which bootstrap creates on an empty database. */
    public Optional<StoredResource> findSuperAdminProject() {
        return jdbc.query("select " + COLUMNS + """
                         from resource
                        where resource_type = 'Project' and not deleted
                          and (content::jsonb) ->> 'superAdmin' = 'true'
                        order by last_updated
                        limit 1
                        """, ResourceStore::currentRow).stream().findFirst();
    }

    // --- internals ---------------------------------------------------------------------------------

    private Optional<StoredResource> findCurrent(Jdbc db, Scope scope, String type, String id, boolean forUpdate) {
        if (!ID.matcher(id).matches()) return Optional.empty();
        var where = new Where(scope, "resource_type = ? and id = ?", type, id);
        return db.queryOne("select " + COLUMNS + " from resource" + where.sql() + (forUpdate ? " for update" : ""),
                ResourceStore::currentRow, where.args());
    }

    /** A WHERE clause and its arguments, always limited to the scope's project unless it spans all. */
    private static final class Where {
        private final StringBuilder sql = new StringBuilder(" where ");
        private final List<Object> args = new java.util.ArrayList<>();

        Where(Scope scope, String condition, Object... values) {
            sql.append(condition);
            args.addAll(List.of(values));
            if (!scope.superAdmin()) and("project_id = ?", scope.projectId());
        }

        void and(String condition, Object value) {
            sql.append(" and ").append(condition);
            args.add(value);
        }

        String sql() { return sql.toString(); }

        Object[] args() { return args.toArray(); }

        Object[] argsAnd(Object... more) {
            var all = new java.util.ArrayList<>(args);
            all.addAll(List.of(more));
            return all.toArray();
        }
    }

    private String projectFor(Scope scope, String type, String id, ObjectNode resource) {
        if ("Project".equals(type)) return id; // a Project belongs to itself, as in Medplum
        if (scope.superAdmin()) {
            JsonNode requested = resource.path("meta").path("project");
            if (requested.isTextual() && ID.matcher(requested.asText()).matches()) return requested.asText();
        }
        return scope.projectId();
    }

    /** A version about to be written, with its JSON tree for indexing. */
    private record NewVersion(StoredResource stored, ObjectNode json) {}

    private NewVersion newVersion(Scope scope, String type, String id, ObjectNode input, String projectId, String method) {
        UUID versionId = UUID.randomUUID();
        Instant now = now();
        var out = FhirJson.mapper().createObjectNode();
        out.put("resourceType", type);
        out.put("id", id);
        var meta = out.putObject("meta");
        if (input.get("meta") instanceof ObjectNode given) {
            given.properties().forEach(e -> {
                switch (e.getKey()) {
                    case "versionId", "lastUpdated", "project", "author" -> { }
                    default -> meta.set(e.getKey(), e.getValue());
                }
            });
        }
        meta.put("versionId", versionId.toString());
        meta.put("lastUpdated", Instants.format(now));
        meta.put("project", projectId);
        meta.putObject("author").put("reference", scope.author());
        input.properties().forEach(e -> {
            switch (e.getKey()) {
                case "resourceType", "id", "meta" -> { }
                default -> out.set(e.getKey(), e.getValue());
            }
        });
        return new NewVersion(new StoredResource(type, id, projectId, versionId, now, false, method, FhirJson.text(out)), out);
    }

    /** Equal apart from the server-managed parts of meta, so an unchanged PUT writes no new version. */
    private static boolean sameContent(ObjectNode stored, ObjectNode incoming) {
        return withoutServerMeta(stored).equals(withoutServerMeta(incoming));
    }

    private static ObjectNode withoutServerMeta(ObjectNode resource) {
        var copy = resource.deepCopy();
        if (copy.get("meta") instanceof ObjectNode meta) {
            meta.remove(List.of("versionId", "lastUpdated", "project", "author"));
            if (meta.isEmpty()) copy.remove("meta");
        }
        return copy;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /** Inserts a new resource with its index rows and first history entry. */
    private void insertCurrent(Jdbc tx, NewVersion version) {
        var r = version.stored();
        indexer.replace(tx, r.projectId(), r.type(), r.id(), version.json(), false);
        tx.update("insert into resource (" + COLUMNS + ") values (?, ?, ?, ?, ?, false, ?)",
                r.type(), r.id(), r.projectId(), r.versionId(), r.lastUpdated(), r.content());
        appendHistory(tx, r);
    }

    private static void appendHistory(Jdbc tx, StoredResource r) {
        tx.update("insert into resource_history (" + HISTORY_COLUMNS + ") values (?, ?, ?, ?, ?, ?, ?, ?)",
                r.type(), r.id(), r.projectId(), r.versionId(), r.lastUpdated(), r.deleted(), r.method(), r.content());
    }

    private static Optional<UUID> parseVersionId(String text) {
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static StoredResource currentRow(ResultSet rs) throws SQLException {
        return new StoredResource(rs.getString(1), rs.getString(2), rs.getString(3), rs.getObject(4, UUID.class),
                rs.getTimestamp(5).toInstant(), rs.getBoolean(6), null, rs.getString(7));
    }

    private static StoredResource historyRow(ResultSet rs) throws SQLException {
        return new StoredResource(rs.getString(1), rs.getString(2), rs.getString(3), rs.getObject(4, UUID.class),
                rs.getTimestamp(5).toInstant(), rs.getBoolean(6), rs.getString(7), rs.getString(8));
    }
}
