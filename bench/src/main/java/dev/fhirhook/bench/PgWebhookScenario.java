package dev.fhirhook.bench;

import java.math.BigDecimal;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The PostgreSQL part of one {@code webhook} row's request, alone: the statements the server sends for a bot run
 * that upserts a new Invoice, and for the run's AuditEvent, in the server's own SQL (as pg_stat_statements shows
 * it), on a private JDBC connection per worker. No HTTP, no signature check, no JavaScript, no JSON work, no pool.
 *
 * <p>Per operation: the advisory lock and the conditional search in one round trip, then the Invoice with its
 * history entry and three index rows in one statement and a durable commit, in a second one (the server defers a
 * write's last statement to its commit). Then the run's AuditEvent (seven index rows) with
 * {@code synchronous_commit = off}, in one round trip with its commit, grouped as the server grouped them: a
 * worker writes its events {@code k} at a time, where {@code k} is the number of events per commit that the server
 * reported for the {@code webhook} row at the same concurrency ({@link #serverGrouped}), rounded, or 1 when no
 * such row ran before this one (a run that finishes alone commits its own event). Rows go to a project of their
 * own, deleted afterwards. What this row reaches is an upper bound for the {@code webhook} row on the same
 * machine: the server does all of this and its own work besides.
 */
final class PgWebhookScenario implements Scenario {
    static final String PROJECT = "bench-pg-webhook";
    private static final String SYSTEM = "https://stripe.com/invoice/id";
    private static final String BOT = "Bot/00000000-0000-4000-8000-00000000b07";
    private static final String[] TABLES = {"resource", "resource_history", "search_token", "search_string",
            "search_reference", "search_date", "search_number", "search_quantity", "search_uri"};

    private static final String LOCK_THEN_SEARCH = """
            select pg_advisory_xact_lock(hashtextextended(?, 0));
            select r.id from resource r where r.resource_type = ? and not r.deleted and r.project_id = ? and exists \
            (select 1 from search_token i1 where i1.project_id = r.project_id and i1.resource_type = r.resource_type \
            and i1.resource_id = r.id and i1.param = ? and ((i1.code = ? and i1.system = ?))) order by r.id limit ?""";

    private static final String INSERT_HEAD = """
            with r as (insert into resource (resource_type, id, project_id, version_id, last_updated, deleted, content)
                         select t, i, p, v::uuid, l::timestamptz, false, c
                           from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[]) as n(t, i, p, v, l, c)
                         returning resource_type, id, project_id, version_id, last_updated, deleted, content),
                 h as (insert into resource_history (resource_type, id, project_id, version_id, last_updated, deleted, request_method, content)
                         select resource_type, id, project_id, version_id, last_updated, deleted, ?, content from r),
            i_token as (insert into search_token (project_id, resource_type, resource_id, param, system, code, text, type_system, type_code, grp) \
            select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[])),
            """;
    private static final String INSERT_INVOICE = INSERT_HEAD + """
            i_quantity as (insert into search_quantity (project_id, resource_type, resource_id, param, value, system, code, grp) \
            select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::numeric[], ?::text[], ?::text[], ?::int[]))
            select count(*) from r""";
    private static final String INSERT_AUDIT = INSERT_HEAD + """
            i_reference as (insert into search_reference (project_id, resource_type, resource_id, param, target_type, target_id, url, grp) \
            select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[])),
            i_date as (insert into search_date (project_id, resource_type, resource_id, param, low, high, grp) \
            select * from unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::timestamptz[], ?::timestamptz[], ?::int[]))
            select count(*) from r""";

    /** The events per commit a row used, and what the server reported for that concurrency, if it did. */
    record Grouping(int perCommit, OptionalDouble measured) {}

    private final String jdbcUrl;
    private final Map<Integer, Double> serverGrouped = new ConcurrentHashMap<>();
    private final Map<Integer, Grouping> used = new ConcurrentSkipListMap<>();

    PgWebhookScenario(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    /** Records how many AuditEvents the server put in one commit, on average, in the webhook row at a concurrency. */
    void serverGrouped(int concurrency, double eventsPerCommit) {
        serverGrouped.put(concurrency, eventsPerCommit);
    }

    /** The grouping each concurrency's row used, by concurrency. */
    Map<Integer, Grouping> used() {
        return used;
    }

    @Override
    public String name() {
        return "pg-webhook";
    }

    /** Deletes what the rows wrote. */
    void tearDown() throws SQLException {
        try (var c = PgCommitScenario.connect(jdbcUrl)) {
            for (String table : TABLES) {
                try (var delete = c.prepareStatement("delete from " + table + " where project_id = ?")) {
                    delete.setString(1, PROJECT);
                    delete.executeUpdate();
                }
            }
        }
    }

    @Override
    public Worker worker(int index, int concurrency) throws SQLException {
        var connection = PgCommitScenario.connect(jdbcUrl);
        connection.setAutoCommit(false);
        var search = connection.prepareStatement(LOCK_THEN_SEARCH);
        var invoice = connection.prepareStatement(INSERT_INVOICE + ";\ncommit");
        var audit = connection.prepareStatement("set local synchronous_commit = off;\n" + INSERT_AUDIT + ";\ncommit");
        String prefix = "in_pgw_" + UUID.randomUUID() + "_"; // each row's workers write new Invoices, as the webhook row does
        Double measured = serverGrouped.get(concurrency);
        int perCommit = measured == null ? 1 : (int) Math.max(1, Math.round(measured));
        used.put(concurrency, new Grouping(perCommit, measured == null ? OptionalDouble.empty() : OptionalDouble.of(measured)));
        long[] written = {0};
        return PgCommitScenario.worker(connection, i -> {
            String code = prefix + written[0];
            search.setString(1, "Invoice?identifier=" + SYSTEM + "|" + code);
            search.setString(2, "Invoice");
            search.setString(3, PROJECT);
            search.setString(4, "identifier");
            search.setString(5, code);
            search.setString(6, SYSTEM);
            search.setInt(7, 2);
            search.execute();
            if (!search.getMoreResults()) throw new SQLException("no rows from the search");
            try (var rs = search.getResultSet()) {
                if (rs.next()) return new Outcome.Unexpected("found", "an Invoice with " + code + " exists");
            }
            writeInvoice(connection, invoice, code);
            connection.commit(); // sends nothing: the statement's commit ended the transaction
            if (++written[0] % perCommit == 0) {
                writeAuditEvents(connection, audit, perCommit);
                connection.commit();
            }
            return Outcome.EXPECTED;
        });
    }

    private static void writeInvoice(Connection c, PreparedStatement insert, String code) throws SQLException {
        String id = UUID.randomUUID().toString();
        String version = UUID.randomUUID().toString();
        String now = Instant.now().toString();
        String content = """
                {"resourceType":"Invoice","id":"%s","meta":{"versionId":"%s","lastUpdated":"%s","project":"%s",\
                "author":{"reference":"%s"}},"identifier":[{"system":"%s","value":"%s"}],"status":"balanced",\
                "totalNet":{"value":42,"currency":"USD"}}""".formatted(id, version, now, PROJECT, BOT, SYSTEM, code);
        int p = resource(c, insert, new String[] {id}, new String[] {version}, now, new String[] {content}, "Invoice");
        p = rows(c, insert, p, "Invoice", new String[] {id, id}, new String[][] {
                {"identifier", "status"}, {SYSTEM, "http://hl7.org/fhir/invoice-status"}, {code, "balanced"},
                {null, null}, {null, null}, {null, null}}, 2);
        insert.setArray(p++, c.createArrayOf("text", new String[] {PROJECT}));
        insert.setArray(p++, c.createArrayOf("text", new String[] {"Invoice"}));
        insert.setArray(p++, c.createArrayOf("text", new String[] {id}));
        insert.setArray(p++, c.createArrayOf("text", new String[] {"totalnet"}));
        insert.setArray(p++, c.createArrayOf("numeric", new BigDecimal[] {BigDecimal.valueOf(42)}));
        insert.setArray(p++, c.createArrayOf("text", new String[] {"urn:iso:std:iso:4217"}));
        insert.setArray(p++, c.createArrayOf("text", new String[] {"USD"}));
        insert.setArray(p, ints(c, 1));
        insert.execute();
    }

    private static void writeAuditEvents(Connection c, PreparedStatement insert, int n) throws SQLException {
        String now = Instant.now().toString();
        String[] ids = new String[n], versions = new String[n], contents = new String[n];
        for (int k = 0; k < n; k++) {
            ids[k] = UUID.randomUUID().toString();
            versions[k] = UUID.randomUUID().toString();
            contents[k] = """
                    {"resourceType":"AuditEvent","id":"%s","meta":{"versionId":"%s","lastUpdated":"%s","project":"%s",\
                    "author":{"reference":"system"}},"type":{"system":"https://medplum.com/CodeSystem/audit-event",\
                    "code":"execute"},"period":{"start":"%s","end":"%s"},"recorded":"%s","outcome":"0",\
                    "agent":[{"requestor":true},{"requestor":false,"who":{"reference":"%s"}}],\
                    "source":{"observer":{"reference":"%s"}},"entity":[{"what":{"reference":"%s"},"role":{"system":\
                    "http://terminology.hl7.org/CodeSystem/object-role","code":"4","display":"Domain"}}],"extension":\
                    [{"url":"https://medplum.com/fhir/StructureDefinition/tracing","extension":[{"url":"requestId",\
                    "valueId":"%s"},{"url":"traceId","valueId":"%s"}]},{"url":\
                    "https://fhirhook.dev/StructureDefinition/bot-run","extension":[{"url":"durationMs",\
                    "valueDecimal":1.25}]}]}""".formatted(ids[k], versions[k], now, PROJECT, now, now, now, BOT, BOT,
                    BOT, UUID.randomUUID(), UUID.randomUUID());
        }
        int p = resource(c, insert, ids, versions, now, contents, "AuditEvent");
        p = rows(c, insert, p, "AuditEvent", repeat(ids, 3), new String[][] {
                each(n, "type", "outcome", "entity-role"),
                each(n, "https://medplum.com/CodeSystem/audit-event", "http://hl7.org/fhir/audit-event-outcome",
                        "http://terminology.hl7.org/CodeSystem/object-role"),
                each(n, "execute", "0", "4"), new String[3 * n], new String[3 * n], new String[3 * n]}, 3 * n);
        String botId = BOT.substring("Bot/".length());
        p = rows(c, insert, p, "AuditEvent", repeat(ids, 3), new String[][] {each(n, "agent", "entity", "source"),
                each(n, "Bot", "Bot", "Bot"), each(n, botId, botId, botId), each(n, BOT, BOT, BOT)}, 3 * n);
        String[] instants = new String[n];
        java.util.Arrays.fill(instants, now);
        rows(c, insert, p, "AuditEvent", ids, new String[][] {each(n, "date"), instants, instants}, n);
        insert.execute();
    }

    /** Binds the resource and history part of {@link #INSERT_HEAD}; returns the next parameter's index. */
    private static int resource(Connection c, PreparedStatement insert, String[] ids, String[] versions, String now,
            String[] contents, String type) throws SQLException {
        int n = ids.length;
        String[] types = new String[n], projects = new String[n], updated = new String[n];
        java.util.Arrays.fill(types, type);
        java.util.Arrays.fill(projects, PROJECT);
        java.util.Arrays.fill(updated, now);
        insert.setArray(1, c.createArrayOf("text", types));
        insert.setArray(2, c.createArrayOf("text", ids));
        insert.setArray(3, c.createArrayOf("text", projects));
        insert.setArray(4, c.createArrayOf("text", versions));
        insert.setArray(5, c.createArrayOf("text", updated));
        insert.setArray(6, c.createArrayOf("text", contents));
        insert.setString(7, "POST");
        return 8;
    }

    /**
     * Binds one index table's unnest, from parameter {@code p}: project, type, resource id, then {@code columns}
     * (the first is the parameter name), then grp; returns the next parameter's index. The timestamp columns of
     * search_date go as text arrays, which PostgreSQL casts as the server's statement does.
     */
    private static int rows(Connection c, PreparedStatement insert, int p, String type, String[] resourceIds,
            String[][] columns, int n) throws SQLException {
        String[] projects = new String[n], types = new String[n];
        java.util.Arrays.fill(projects, PROJECT);
        java.util.Arrays.fill(types, type);
        insert.setArray(p++, c.createArrayOf("text", projects));
        insert.setArray(p++, c.createArrayOf("text", types));
        insert.setArray(p++, c.createArrayOf("text", resourceIds));
        for (String[] column : columns) insert.setArray(p++, c.createArrayOf("text", column));
        insert.setArray(p++, ints(c, n));
        return p;
    }

    private static Array ints(Connection c, int n) throws SQLException {
        return c.createArrayOf("int4", new Integer[n]);
    }

    /** {@code values} for each of {@code n} resources, value by value: n times the first, then n times the second... */
    private static String[] each(int n, String... values) {
        var out = new String[n * values.length];
        for (int v = 0; v < values.length; v++) java.util.Arrays.fill(out, v * n, (v + 1) * n, values[v]);
        return out;
    }

    private static String[] repeat(String[] ids, int times) {
        var out = new String[ids.length * times];
        for (int t = 0; t < times; t++) System.arraycopy(ids, 0, out, t * ids.length, ids.length);
        return out;
    }
}
