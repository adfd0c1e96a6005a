package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.db.DataAccessException;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import dev.fhirhook.fhir.search.IndexBatch;
import dev.fhirhook.fhir.search.PolicyCriteria;
import dev.fhirhook.fhir.search.SearchIndexer;
import dev.fhirhook.fhir.search.SearchParser;
import dev.fhirhook.fhir.search.TypeAccess;
import dev.fhirhook.policy.EffectivePolicy;
import dev.fhirhook.policy.FieldPath;
import dev.fhirhook.policy.Interaction;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FHIR resource store on PostgreSQL: versioned writes, reads and history, always inside a {@link Scope}.
 * A resource outside the scope's project behaves exactly like one that does not exist (404), so ids never
 * leak across projects. Every write is one transaction that updates the current row and appends a version.
 *
 * <p>The scope's AccessPolicy is enforced here for every interaction: a type or interaction it does not allow
 * is 403; a resource outside its criteria is 404 to read, history, update, patch and delete, and a write that
 * would leave (or create a resource outside) them is 403 and rolled back. Hidden fields are removed from what
 * is returned and, like read-only fields, restored from the stored version on update and left out on create.
 * Criteria are SQL conditions over the search index, evaluated in the statement that reads the row (and,
 * after a write, once more on the written row): a policy without criteria costs no query. Thread-safe.
 */
public final class ResourceStore {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceStore.class);
    public static final Pattern ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final String COLUMNS = "resource_type, id, project_id, version_id, last_updated, deleted, content";
    /** {@link #COLUMNS} of a {@code resource} table aliased {@code r}, as {@link #currentRow} reads them. */
    public static final String CURRENT_ROW = "r." + COLUMNS.replace(", ", ", r.");
    private static final String HISTORY_COLUMNS =
            "resource_type, id, project_id, version_id, last_updated, deleted, request_method, content";

    private final Jdbc jdbc;
    private final Clock clock;
    private final SearchIndexer indexer;
    private final PolicyCriteria policies;
    private final Compartments compartments;

    /** Types whose writes change who may authenticate and as what; caches of principals depend on them. */
    public static final java.util.Set<String> SECURITY_TYPES =
            java.util.Set.of("ClientApplication", "ProjectMembership", "Project", "AccessPolicy", "Bot", "User");

    /**
     * Counts of committed writes in this process, shared by the transaction-bound copies of the store: of
     * {@link #SECURITY_TYPES} (caches of principals, policies and secrets) and of Binary (the bots' code cache).
     */
    private static final class Generations {
        final java.util.concurrent.atomic.AtomicLong security = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong binary = new java.util.concurrent.atomic.AtomicLong();

        void moved(boolean security, boolean binary) {
            if (security) this.security.incrementAndGet();
            if (binary) this.binary.incrementAndGet();
        }
    }

    /** What a transaction wrote, so that its counts move only once it has committed. */
    private static final class Pending {
        boolean security;
        boolean binary;
    }

    private final Generations generations;
    /** Non-null in a transaction-bound copy. */
    private final Pending pending;

    public ResourceStore(Jdbc jdbc, Clock clock, SearchIndexer indexer, PolicyCriteria policies) {
        this(jdbc, clock, indexer, policies, new Compartments(indexer.parameters()), new Generations(), null);
    }

    /** A store whose AccessPolicy criteria are parsed with the indexer's parameters (tests and tools). */
    public ResourceStore(Jdbc jdbc, Clock clock, SearchIndexer indexer) {
        this(jdbc, clock, indexer, policyCriteria(indexer));
    }

    private static PolicyCriteria policyCriteria(SearchIndexer indexer) {
        var types = ResourceTypes.load();
        return new PolicyCriteria(new SearchParser(indexer.parameters(), types), types);
    }

    private ResourceStore(Jdbc jdbc, Clock clock, SearchIndexer indexer, PolicyCriteria policies,
            Compartments compartments, Generations generations, Pending pending) {
        this.compartments = compartments;
        this.generations = generations;
        this.pending = pending;
        this.jdbc = jdbc;
        this.clock = clock;
        this.indexer = indexer;
        this.policies = policies;
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
        var wrote = new Pending();
        T result = jdbc.inTransaction(tx -> work.run(
                new ResourceStore(tx, clock, indexer, policies, compartments, generations, wrote), tx));
        generations.moved(wrote.security, wrote.binary);
        return result;
    }

    /**
     * Moves whenever a write of a {@link #SECURITY_TYPES} resource has committed in this process. A cache of
     * authentication results reads it before looking anything up and trusts an entry only while it is unchanged.
     */
    public long securityGeneration() {
        return generations.security.get();
    }

    /**
     * Moves whenever a write of a Binary has committed in this process, transactions and batches included. The
     * bots' code cache reads it before looking a Binary up and trusts an entry only while it is unchanged, so
     * a Binary replaced in place runs on the very next request here.
     */
    public long binaryGeneration() {
        return generations.binary.get();
    }

    /** Called after a write of {@code type} returned: committed, or (in a transaction copy) to be committed. */
    private void wrote(String type) {
        boolean security = SECURITY_TYPES.contains(type);
        boolean binary = type.equals("Binary");
        if (pending == null) {
            generations.moved(security, binary);
            return;
        }
        pending.security |= security;
        pending.binary |= binary;
    }

    /**
     * Serialises, until the end of the current transaction, every writer holding the same key: conditional
     * interactions lock on their criteria so that concurrent identical ones see each other's result.
     */
    public static void lock(Jdbc tx, String key) {
        tx.query(LOCK, rs -> 1, key);
    }

    /** {@link #lock}'s statement, with the key as its one parameter. */
    public static final String LOCK = "select pg_advisory_xact_lock(hashtextextended(?, 0))";

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
        return createAll(List.of(new NewResource(scope, resource, id))).getFirst();
    }

    /** A resource to create, with the scope it is created in and its id. */
    public record NewResource(Scope scope, ObjectNode resource, String id) {
        /** With a new server-assigned id. */
        public NewResource(Scope scope, ObjectNode resource) {
            this(scope, resource, UUID.randomUUID().toString());
        }
    }

    /**
     * Creates resources in one transaction and one statement, with the checks of {@link #create(Scope, ObjectNode)}
     * for each: all are created or, when one is refused, none. For writers of many small resources at once, such as
     * the audit trail.
     */
    public List<StoredResource> createAll(List<NewResource> resources) {
        if (resources.isEmpty()) return List.of();
        var accesses = new ArrayList<TypeAccess>();
        for (var r : resources) {
            String type = r.resource().get("resourceType").asText();
            AdminRules.checkWrite(r.scope(), type, r.resource(), null);
            if (type.equals("ProjectMembership") && !r.scope().superAdmin()) {
                MembershipRules.checkWrite(r.scope(), r.id(), r.resource(), null, policyLookup(jdbc));
            }
            accesses.add(policies.require(r.scope(), type, Interaction.CREATE));
            if (type.equals("AccessPolicy")) policies.validate(r.scope(), r.resource());
        }
        var created = jdbc.inTransaction(tx -> {
            var versions = new ArrayList<NewVersion>();
            for (int i = 0; i < resources.size(); i++) {
                var r = resources.get(i);
                String type = r.resource().get("resourceType").asText();
                if (accesses.get(i).uniformFields()) removeFields(r.resource(), accesses.get(i).candidate(0).protectedOnWrite());
                versions.add(newVersion(r.scope(), type, r.id(), r.resource(), projectFor(tx, r.scope(), type, r.id(), r.resource()), "POST"));
            }
            insertAll(tx, versions);
            var out = new ArrayList<StoredResource>();
            for (int i = 0; i < versions.size(); i++) {
                out.add(checkCreated(tx, resources.get(i).scope(), accesses.get(i), versions.get(i)));
            }
            return out;
        });
        var shown = new ArrayList<StoredResource>();
        for (int i = 0; i < created.size(); i++) {
            wrote(created.get(i).type());
            shown.add(shownAfterWrite(resources.get(i).scope(), created.get(i)));
        }
        return shown;
    }

    /** Reads the current version; 404 when absent, outside the scope or outside its policy's criteria, 410 when deleted. */
    public StoredResource read(Scope scope, String type, String id) {
        return read(scope, type, id, Interaction.READ);
    }

    /**
     * Reads the current version as {@code interaction} allows it ({@link Interaction#UPDATE} for the version a
     * JSON Patch applies to), with the fields that interaction's policy entry hides removed.
     */
    public StoredResource read(Scope scope, String type, String id, Interaction interaction) {
        AdminRules.checkAccess(scope, type);
        var access = policies.require(scope, type, interaction);
        var found = findAllowed(jdbc, scope, access, type, id, false).orElseThrow(ApiException::notFound);
        if (found.resource().deleted()) throw ApiException.gone();
        return access.shown(found.resource(), found.branch());
    }

    public StoredResource readVersion(Scope scope, String type, String id, String versionId) {
        AdminRules.checkAccess(scope, type);
        var access = policies.require(scope, type, Interaction.VREAD);
        UUID vid = parseVersionId(versionId).orElseThrow(ApiException::notFound);
        // under criteria the resource as it is now decides, as for every other interaction on it
        int branch = access.restricted()
                ? findAllowed(jdbc, scope, access, type, id, false).orElseThrow(ApiException::notFound).branch() : 0;
        var where = new Where(scope, "resource_type = ? and id = ? and version_id = ?", type, id, vid);
        var version = jdbc.queryOne("select " + HISTORY_COLUMNS + " from resource_history" + where.sql(),
                ResourceStore::historyRow, where.args()).orElseThrow(ApiException::notFound);
        if (version.deleted()) throw ApiException.gone();
        return access.shown(version, branch);
    }

    /**
     * Writes a new version of {@code type/id}, creating it when absent (update-as-create with a client id).
     *
     * @param ifMatch the version the client last saw ({@code If-Match}), if it sent one
     * @param method {@code PUT} or {@code PATCH}, recorded in history
     */
    public Written update(Scope scope, ObjectNode resource, Optional<String> ifMatch, String method) {
        return update(scope, resource, ifMatch, method, null);
    }

    /**
     * As {@link #update}, over {@code current}, the current version of the resource that this store's transaction has
     * read and locked ({@code FOR UPDATE}, as {@link dev.fhirhook.fhir.search.ConditionalSearch#lockAndFind} does), so
     * that the write need not read it again: a conditional update that finds its resource costs one round trip fewer.
     *
     * @throws IllegalStateException outside a transaction, or when {@code current} is another resource
     */
    public Written updateLocked(Scope scope, ObjectNode resource, Optional<String> ifMatch, String method,
            StoredResource current) {
        if (pending == null) throw new IllegalStateException("a locked current version belongs to a transaction");
        if (!current.type().equals(resource.path("resourceType").asText())
                || !current.id().equals(resource.path("id").asText())) {
            throw new IllegalStateException("the locked version is " + current.type() + "/" + current.id());
        }
        return update(scope, resource, ifMatch, method, current);
    }

    /** @param current the current version, read and locked by the caller's transaction; null to read it here */
    private Written update(Scope scope, ObjectNode resource, Optional<String> ifMatch, String method, StoredResource current) {
        String type = resource.get("resourceType").asText();
        String id = resource.get("id").asText();
        requireValidId(id);
        // a type the policy lets neither be updated nor created is refused before anything is read
        if (scope.policy().decide(type, Interaction.UPDATE) instanceof EffectivePolicy.Decision.Denied
                && scope.policy().decide(type, Interaction.CREATE) instanceof EffectivePolicy.Decision.Denied) {
            policies.require(scope, type, Interaction.UPDATE);
        }
        if (type.equals("AccessPolicy")) policies.validate(scope, resource);
        for (int attempt = 0; ; attempt++) {
            try {
                var written = jdbc.inTransaction(tx -> {
                    var existing = current != null ? Optional.of(current)
                            : findCurrent(tx, Scope.system(scope.projectId()), type, id, true);
                    if (existing.isPresent() && !scope.superAdmin()
                            && !existing.get().projectId().equals(scope.projectId())) {
                        throw ApiException.notFound();
                    }
                    // writing where nothing (or a deleted version) is creates the resource, as far as the policy goes
                    boolean creates = existing.isEmpty() || existing.get().deleted();
                    var access = policies.require(scope, type, creates ? Interaction.CREATE : Interaction.UPDATE);
                    int branch = 0;
                    if (!creates && access.restricted()) {
                        branch = branchOf(tx, scope, access, type, id);
                        if (branch < 0) throw ApiException.notFound();
                    }
                    if (existing.isPresent() && existing.get().deleted()) requireHistoryVisible(tx, scope, type, id);
                    if (ifMatch.isPresent() && (existing.isEmpty() || existing.get().deleted()
                            || !matchesVersion(ifMatch.get(), existing.get()))) {
                        throw ApiException.preconditionFailed("fhir.version-mismatch", "Precondition Failed");
                    }
                    AdminRules.checkWrite(scope, type, resource,
                            existing.filter(r -> !r.deleted()).map(StoredResource::json).orElse(null));
                    if (!creates) {
                        var original = existing.get().json();
                        for (FieldPath field : access.candidate(branch).protectedOnWrite()) field.restore(resource, original);
                    } else if (access.uniformFields()) {
                        removeFields(resource, access.candidate(0).protectedOnWrite());
                    }
                    if (type.equals("ProjectMembership") && !scope.superAdmin()) {
                        MembershipRules.checkWrite(scope, id, resource,
                                existing.filter(r -> !r.deleted()).map(StoredResource::json).orElse(null), policyLookup(tx));
                    }
                    if (existing.isEmpty()) {
                        var version = newVersion(scope, type, id, resource, projectFor(tx, scope, type, id, resource), method);
                        insertAll(tx, List.of(version));
                        return new Written(checkCreated(tx, scope, access, version), true);
                    }
                    var old = existing.get();
                    if (!old.deleted() && sameContent(old.json(), resource)) return new Written(old, false);
                    var version = newVersion(scope, type, id, resource, old.projectId(), method);
                    var stored = version.stored();
                    replaceCurrent(tx, version);
                    if (creates) {
                        stored = checkCreated(tx, scope, access, version);
                    } else if (access.restricted() && branchOf(tx, scope, access, type, id) < 0) {
                        throw outsidePolicy(); // the new content left the criteria the caller may write within
                    }
                    return new Written(stored, old.deleted());
                });
                wrote(type);
                return new Written(shownAfterWrite(scope, written.resource()), written.created());
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
        var access = policies.require(scope, type, Interaction.DELETE);
        jdbc.inTransaction(tx -> {
            var current = findAllowed(tx, scope, access, type, id, true).orElseThrow(ApiException::notFound).resource();
            if (current.deleted()) throw ApiException.gone();
            if (ifMatch.isPresent() && !matchesVersion(ifMatch.get(), current)) {
                throw ApiException.preconditionFailed("fhir.version-mismatch", "Precondition Failed");
            }
            Instant now = now();
            var version = new StoredResource(type, id, current.projectId(), VersionIds.at(now), now, true,
                    "DELETE", current.content());
            // the three writes go with the commit, in its round trip
            tx.deferred("""
                    update resource set version_id = ?, last_updated = ?, deleted = true
                     where resource_type = ? and id = ?
                    """, version.versionId(), version.lastUpdated(), type, id);
            indexer.remove(tx, type, id);
            appendHistory(tx, version);
            if (type.equals("ClientApplication") || type.equals("ProjectMembership")) revokeLogins(tx, current, type);
            return null;
        });
        wrote(type);
    }

    /**
     * Deleting a client or a membership revokes the Logins issued to it, in place: their tokens end now and stay
     * ended, even if a resource of the same id is written again later (tokens otherwise only check that the
     * client and the membership they name exist).
     */
    private static void revokeLogins(Jdbc tx, StoredResource deleted, String type) {
        String field = type.equals("ClientApplication") ? "client" : "membership";
        tx.update("""
                update resource set content = jsonb_set(content::jsonb, '{revoked}', 'true')::text
                 where resource_type = 'Login' and project_id = ? and content::jsonb -> ? ->> 'reference' = ?
                   and (content::jsonb ->> 'revoked') is distinct from 'true'""",
                deleted.projectId(), field, type + "/" + deleted.id());
    }

    /** Rows read per statement by {@link #upgradeCompartments()}. */
    static final int UPGRADE_BATCH = 500;
    /** How often {@link #upgradeCompartments()} reports its progress, by the store's clock. */
    static final Duration UPGRADE_REPORT_EVERY = Duration.ofSeconds(10);

    /**
     * Once after the upgrade to server-computed compartments (migration V15): rewrites {@code meta.compartment} of
     * every stored row, which earlier versions kept as the client sent it, then removes the marker. A row is
     * rewritten in place, without a new version, and only if no write changed it meanwhile (that write computed its
     * compartments itself). Interrupted, it starts over at the next start; run again, it changes nothing. It runs
     * before the server listens and reads every row, so it says when it begins (if there is a row to read) and how
     * far it got every {@link #UPGRADE_REPORT_EVERY}.
     *
     * @return how many rows it changed; 0 when there was nothing to do
     */
    public long upgradeCompartments() {
        if (jdbc.queryOne("select 1 from pending_upgrade where name = 'compartments'", rs -> 1).isEmpty()) return 0;
        long changed = 0, read = 0;
        Instant reported = clock.instant();
        String lastType = "", lastId = "";
        while (true) {
            var rows = jdbc.query("""
                    select resource_type, id, project_id, content from resource
                     where (resource_type, id) > (?, ?) order by resource_type, id limit ?""",
                    rs -> new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)},
                    lastType, lastId, UPGRADE_BATCH);
            if (rows.isEmpty()) break;
            if (read == 0) { // a new database has nothing to upgrade, and nothing to say
                LOG.info("computing meta.compartment of every stored resource once (upgrade V15); the server listens "
                        + "when this is done");
            }
            for (String[] row : rows) {
                var resource = FhirJson.parseStored(row[3]);
                if (!(resource.get("meta") instanceof ObjectNode meta)) continue;
                var computed = compartments.of(row[0], row[1], row[2], resource).compartments();
                if (computed.equals(meta.get("compartment"))) continue;
                meta.set("compartment", computed);
                changed += jdbc.update("update resource set content = ? where resource_type = ? and id = ? and content = ?",
                        FhirJson.text(resource), row[0], row[1], row[3]);
            }
            lastType = rows.getLast()[0];
            lastId = rows.getLast()[1];
            read += rows.size();
            Instant now = clock.instant();
            if (!now.isBefore(reported.plus(UPGRADE_REPORT_EVERY))) {
                LOG.info("meta.compartment upgrade: {} stored resources read, {} rewritten, up to {}/{}", read, changed,
                        lastType, lastId);
                reported = now;
            }
        }
        jdbc.update("delete from pending_upgrade where name = 'compartments'");
        return changed;
    }

    /** History of one resource, deleted versions included; 404 when it never existed in scope. */
    public HistoryPage instanceHistory(Scope scope, String type, String id, int count, int offset, Optional<Instant> since) {
        AdminRules.checkAccess(scope, type);
        var access = policies.require(scope, type, Interaction.HISTORY);
        int branch = findAllowed(jdbc, scope, access, type, id, false).orElseThrow(ApiException::notFound).branch();
        var where = new Where(scope, "resource_type = ? and id = ?", type, id);
        since.ifPresent(s -> where.and("last_updated >= ?", s));
        var versions = jdbc.query("select " + HISTORY_COLUMNS + " from resource_history" + where.sql()
                        + " order by seq desc limit ? offset ?",
                ResourceStore::historyRow, where.argsAnd(count, offset));
        long total = jdbc.queryOne("select count(*) from resource_history" + where.sql(), rs -> rs.getLong(1),
                where.args()).orElse(0L);
        return new HistoryPage(versions.stream().map(v -> access.shown(v, branch)).toList(), Optional.of(total));
    }

    /**
     * History of every resource of a type in scope, newest first. Under criteria, the versions of the
     * resources that now satisfy them, each shown as its resource's entry allows.
     */
    public HistoryPage typeHistory(Scope scope, String type, int count, int offset, Optional<Instant> since) {
        AdminRules.checkAccess(scope, type);
        var access = policies.require(scope, type, Interaction.HISTORY);
        if (access.restricted()) return restrictedTypeHistory(scope, access, type, count, offset, since);
        var where = new Where(scope, "resource_type = ?", type);
        since.ifPresent(s -> where.and("last_updated >= ?", s));
        var versions = jdbc.query("select " + HISTORY_COLUMNS + " from resource_history" + where.sql()
                + " order by seq desc limit ? offset ?", ResourceStore::historyRow, where.argsAnd(count, offset));
        return new HistoryPage(versions.stream().map(v -> access.shown(v, 0)).toList(), Optional.empty());
    }

    private HistoryPage restrictedTypeHistory(Scope scope, TypeAccess access, String type, int count, int offset,
            Optional<Instant> since) {
        var branch = access.branchIndex("r", scope, now());
        var condition = access.condition("r", scope, now());
        var args = new java.util.ArrayList<Object>(branch.args());
        var sql = new StringBuilder("select h.resource_type, h.id, h.project_id, h.version_id, h.last_updated, h.deleted, "
                + "h.request_method, h.content, " + branch.text()
                + " from resource_history h join resource r on r.resource_type = h.resource_type and r.id = h.id"
                + " where h.resource_type = ?");
        args.add(type);
        if (!scope.superAdmin()) {
            sql.append(" and h.project_id = ?");
            args.add(scope.projectId());
        }
        if (since.isPresent()) {
            sql.append(" and h.last_updated >= ?");
            args.add(since.get());
        }
        sql.append(" and ").append(condition.text());
        args.addAll(condition.args());
        sql.append(" order by h.seq desc limit ? offset ?");
        args.add(count);
        args.add(offset);
        var versions = jdbc.withCustomPlans().query(sql.toString(), rs -> access.shown(historyRow(rs), rs.getInt(9)), args.toArray());
        return new HistoryPage(versions, Optional.empty());
    }

    /**
     * Whether {@code type/id} exists, is not deleted and is in the scope's project (any project for a super admin):
     * whether another project uses an id is not the caller's to learn.
     */
    public boolean existsCurrent(Scope scope, String type, String id) {
        return existsCurrent(jdbc, scope, type, id);
    }

    private boolean existsCurrent(Jdbc db, Scope scope, String type, String id) {
        return findCurrent(db, scope, type, id, false).filter(r -> !r.deleted()).isPresent();
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
        return findMembership("user", projectId, userReference);
    }

    /** The live ProjectMembership in {@code projectId} whose {@code profile} is the given reference. */
    public Optional<StoredResource> findMembershipByProfile(String projectId, String profileReference) {
        return findMembership("profile", projectId, profileReference);
    }

    /** @param field {@code user} or {@code profile}, a literal so that the expression index on {@code user} applies */
    private Optional<StoredResource> findMembership(String field, String projectId, String reference) {
        if (!field.equals("user") && !field.equals("profile")) throw new IllegalArgumentException(field);
        return jdbc.query("select " + COLUMNS + """
                         from resource
                        where resource_type = 'ProjectMembership' and not deleted
                          and (content::jsonb) -> '%s' ->> 'reference' = ?
                          and project_id = ?
                        order by last_updated
                        limit 1
                        """.formatted(field), ResourceStore::currentRow, reference, projectId).stream().findFirst();
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

    /** Live AccessPolicies by id in any project, read through {@code db} (a transaction sees its own writes). */
    private java.util.function.Function<String, Optional<StoredResource>> policyLookup(Jdbc db) {
        return id -> findCurrent(db, Scope.system(""), "AccessPolicy", id, false).filter(r -> !r.deleted());
    }

    /** A current row and the index of the policy branch it satisfies. */
    private record Found(StoredResource resource, int branch) {}

    /**
     * The current row, deleted or not, when it is in scope and satisfies the access's criteria (one statement:
     * the branch index is a column of the same row).
     */
    private Optional<Found> findAllowed(Jdbc db, Scope scope, TypeAccess access, String type, String id, boolean forUpdate) {
        if (!access.restricted()) return findCurrent(db, scope, type, id, forUpdate).map(r -> new Found(r, 0));
        if (!ID.matcher(id).matches()) return Optional.empty();
        var branch = access.branchIndex("r", scope, now());
        var where = new Where(scope, "r.resource_type = ? and r.id = ?", type, id);
        var args = new java.util.ArrayList<Object>(branch.args());
        args.addAll(List.of(where.args()));
        return db.queryOne("select " + COLUMNS + ", " + branch.text() + " from resource r" + where.sql()
                        + (forUpdate ? " for update of r" : ""),
                rs -> new Found(currentRow(rs), rs.getInt(8)), args.toArray())
                .filter(found -> found.branch() >= 0);
    }

    /**
     * Writing over a deleted resource makes its history, every earlier version included, readable as the new
     * version is (history and vread follow the current version). So a writer whose history or vread access is
     * restricted may do it only when that access covers the deleted version: one confined to a patient's
     * compartment must not re-create another patient's deleted Observation and read what it said. Under criteria a
     * deleted row has no index rows left to satisfy them, so such a writer is refused.
     */
    private void requireHistoryVisible(Jdbc tx, Scope scope, String type, String id) {
        for (var interaction : List.of(Interaction.HISTORY, Interaction.VREAD)) {
            var access = policies.find(scope, type, interaction);
            if (access.isPresent() && access.get().restricted() && branchOf(tx, scope, access.get(), type, id) < 0) {
                throw ApiException.forbidden("policy.deleted-outside",
                        "Cannot write over a deleted resource the access policy does not let you read");
            }
        }
    }

    /** The index of the policy branch the current row of {@code type/id} satisfies, -1 for none. */
    private int branchOf(Jdbc db, Scope scope, TypeAccess access, String type, String id) {
        var branch = access.branchIndex("r", scope, now());
        var args = new java.util.ArrayList<Object>(branch.args());
        args.add(type);
        args.add(id);
        return db.queryOne("select " + branch.text() + " from resource r where r.resource_type = ? and r.id = ?",
                rs -> rs.getInt(1), args.toArray()).orElse(-1);
    }

    /**
     * After a create under criteria: 403 (the transaction rolls back) when the new resource satisfies none.
     * Fields every entry protects were left out before the write; when the entries protect different fields,
     * those of the entry the resource satisfies are taken out now. That entry is known only once the version's
     * index rows exist, so the version is corrected in place, still uncommitted.
     */
    private StoredResource checkCreated(Jdbc tx, Scope scope, TypeAccess access, NewVersion version) {
        var stored = version.stored();
        if (!access.restricted()) return stored;
        int branch = branchOf(tx, scope, access, stored.type(), stored.id());
        if (branch < 0) throw outsidePolicy();
        if (access.uniformFields()) return stored;
        var json = version.json();
        if (!removeFields(json, access.candidate(branch).protectedOnWrite())) return stored;
        var corrected = new StoredResource(stored.type(), stored.id(), stored.projectId(), stored.versionId(),
                stored.lastUpdated(), false, stored.method(), FhirJson.text(json));
        indexer.replace(tx, stored.projectId(), stored.type(), stored.id(), json, true);
        tx.update("update resource set content = ? where resource_type = ? and id = ?", corrected.content(),
                stored.type(), stored.id());
        tx.update("update resource_history set content = ? where resource_type = ? and id = ? and version_id = ?",
                corrected.content(), stored.type(), stored.id(), stored.versionId());
        return corrected;
    }

    private static boolean removeFields(ObjectNode resource, List<FieldPath> fields) {
        boolean removed = false;
        for (FieldPath field : fields) removed |= field.removeFrom(resource);
        return removed;
    }

    /** What a write answers with: nothing any of the caller's entries hides on the type, restored values included. */
    private static StoredResource shownAfterWrite(Scope scope, StoredResource written) {
        return TypeAccess.without(written, scope.policy().hiddenAnywhere(written.type()));
    }

    private static ApiException outsidePolicy() {
        return ApiException.forbidden("policy.outside-criteria", "Forbidden");
    }

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

    /**
     * The project a new resource goes to: the caller's, or for a super admin the one {@code meta.project} names, which
     * must then be a live Project (seen by {@code tx}, so one created earlier in the same Bundle counts): a resource in
     * a project that does not exist would be reachable by no one but super admins.
     */
    private String projectFor(Jdbc tx, Scope scope, String type, String id, ObjectNode resource) {
        if ("Project".equals(type)) return id; // a Project belongs to itself, as in Medplum
        if (scope.superAdmin()) {
            JsonNode requested = resource.path("meta").path("project");
            if (!requested.isMissingNode()) {
                // anything but a project id is refused rather than ignored, which would put the resource in the
                // super admin's own project (a Bundle's "urn:uuid:" value becomes "Project/<id>", not an id)
                if (!requested.isTextual() || !ID.matcher(requested.asText()).matches()) {
                    throw ApiException.badRequest("fhir.invalid-project", "meta.project must be the id of a Project")
                            .at("meta.project");
                }
                String project = requested.asText();
                if (!project.equals(scope.projectId()) && !existsCurrent(tx, scope, "Project", project)) {
                    throw ApiException.badRequest("fhir.unknown-project", "Project " + project + " does not exist");
                }
                return project;
            }
        }
        return scope.projectId();
    }

    /**
     * A version about to be written, with its JSON tree for indexing and what the compartment parameters' expressions
     * gave on that tree (valid while the tree is unchanged: it is indexed right after).
     */
    private record NewVersion(StoredResource stored, ObjectNode json, Map<SearchParam, List<FhirPath.Item>> evaluated) {}

    /** The parts of {@code meta} the server sets on every version; a client's values for them are dropped. */
    private static final List<String> SERVER_META = List.of("versionId", "lastUpdated", "project", "author", "compartment");

    private NewVersion newVersion(Scope scope, String type, String id, ObjectNode input, String projectId, String method) {
        Instant now = now();
        UUID versionId = VersionIds.at(now);
        var out = FhirJson.mapper().createObjectNode();
        out.put("resourceType", type);
        out.put("id", id);
        var meta = out.putObject("meta");
        if (input.get("meta") instanceof ObjectNode given) {
            given.properties().forEach(e -> {
                if (!SERVER_META.contains(e.getKey())) meta.set(e.getKey(), e.getValue());
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
        var computed = compartments.of(type, id, projectId, out);
        meta.set("compartment", computed.compartments());
        var stored = new StoredResource(type, id, projectId, versionId, now, false, method, FhirJson.text(out));
        return new NewVersion(stored, out, computed.evaluated());
    }

    /** Equal apart from the server-managed parts of meta, so an unchanged PUT writes no new version. */
    private static boolean sameContent(ObjectNode stored, ObjectNode incoming) {
        return withoutServerMeta(stored).equals(withoutServerMeta(incoming));
    }

    private static ObjectNode withoutServerMeta(ObjectNode resource) {
        var copy = resource.deepCopy();
        if (copy.get("meta") instanceof ObjectNode meta) {
            meta.remove(SERVER_META);
            if (meta.isEmpty()) copy.remove("meta");
        }
        return copy;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    /**
     * New resources and their first history entries, in one statement with their index rows: the resource rows
     * come as arrays, the history copies what the insert returns (so the content crosses the wire once), and the
     * index rows follow as {@link IndexBatch#inserts()}.
     */
    private static final String INSERT_NEW = """
            with r as (insert into resource (%1$s)
                         select t, i, p, v::uuid, l::timestamptz, false, c
                           from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) as n(t, i, p, v, l, c)
                         returning %1$s),
                 h as (insert into resource_history (%2$s)
                         select resource_type, id, project_id, version_id, last_updated, deleted, ?, content from r)\
            """.formatted(COLUMNS, HISTORY_COLUMNS);

    /**
     * A new current version of an existing row (deleted or not) with its history entry, in one statement with its
     * index rows in place of the old ones. The deletes see the index as it was before the statement, so they
     * remove only the old rows.
     */
    private static final String REPLACE_CURRENT = """
            with %1$s,
                 u as (update resource set version_id = ?, last_updated = ?, deleted = false, content = ?
                        where resource_type = ? and id = ?
                        returning %2$s),
                 h as (insert into resource_history (%3$s)
                         select resource_type, id, project_id, version_id, last_updated, deleted, ?, content from u)\
            """.formatted(SearchIndexer.REMOVES, COLUMNS, HISTORY_COLUMNS);

    /** {@code head} (CTEs ending in one named {@code cte}) with the batch's inserts, as one statement. */
    private static String withIndex(String head, IndexBatch index, String cte) {
        String inserts = index.inserts();
        return head + (inserts.isEmpty() ? "" : ",\n" + inserts) + "\nselect count(*) from " + cte;
    }

    /**
     * Inserts new resources written by one method, with their index rows and first history entries: one statement,
     * {@linkplain Jdbc#deferred deferred} so that it goes with the commit unless the transaction sends another first.
     */
    private void insertAll(Jdbc tx, List<NewVersion> versions) {
        var index = indexer.batch(); // extracted before any write: a refusal leaves nothing to undo
        int n = versions.size();
        String[] types = new String[n], ids = new String[n], projects = new String[n], versionIds = new String[n],
                updated = new String[n], contents = new String[n];
        for (int i = 0; i < n; i++) {
            var r = versions.get(i).stored();
            index.add(r.projectId(), r.type(), r.id(), versions.get(i).json(), versions.get(i).evaluated());
            types[i] = r.type();
            ids[i] = r.id();
            projects[i] = r.projectId();
            versionIds[i] = r.versionId().toString();
            updated[i] = r.lastUpdated().toString();
            contents[i] = r.content();
        }
        String method = versions.getFirst().stored().method();
        var params = new ArrayList<Object>(List.of(types, ids, projects, versionIds, updated, contents, method));
        params.addAll(List.of(index.parameters()));
        tx.deferred(withIndex(INSERT_NEW, index, "r"), params.toArray()); // with the commit, unless read first
    }

    /** Makes {@code version} the current version of its existing row, with its index rows and history entry. */
    private void replaceCurrent(Jdbc tx, NewVersion written) {
        var version = written.stored();
        var index = indexer.batch()
                .add(version.projectId(), version.type(), version.id(), written.json(), written.evaluated());
        var params = new ArrayList<Object>(List.of(SearchIndexer.removeParameters(version.type(), version.id())));
        params.addAll(List.of(version.versionId(), version.lastUpdated(), version.content(), version.type(), version.id(),
                version.method()));
        params.addAll(List.of(index.parameters()));
        tx.deferred(withIndex(REPLACE_CURRENT, index, "u"), params.toArray());
    }

    private static void appendHistory(Jdbc tx, StoredResource r) {
        tx.deferred("insert into resource_history (" + HISTORY_COLUMNS + ") values (?, ?, ?, ?, ?, ?, ?, ?)",
                r.type(), r.id(), r.projectId(), r.versionId(), r.lastUpdated(), r.deleted(), r.method(), r.content());
    }

    private static Optional<UUID> parseVersionId(String text) {
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Reads a current row's {@link #CURRENT_ROW} columns. */
    public static StoredResource currentRow(ResultSet rs) throws SQLException {
        return new StoredResource(rs.getString(1), rs.getString(2), rs.getString(3), rs.getObject(4, UUID.class),
                rs.getTimestamp(5).toInstant(), rs.getBoolean(6), null, rs.getString(7));
    }

    private static StoredResource historyRow(ResultSet rs) throws SQLException {
        return new StoredResource(rs.getString(1), rs.getString(2), rs.getString(3), rs.getObject(4, UUID.class),
                rs.getTimestamp(5).toInstant(), rs.getBoolean(6), rs.getString(7), rs.getString(8));
    }
}
