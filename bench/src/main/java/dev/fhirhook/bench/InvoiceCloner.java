package dev.fhirhook.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The bulk loader: clones, in SQL, the rows the server wrote for Invoice n = 0 (its resource row, its
 * history row and its rows in every search_* table) into Invoices n = from .. to-1, substituting only what
 * depends on n (id, versionId, lastUpdated, identifier, status, date, subject, totalNet), so that each clone
 * is what the server would have written for {@link Invoices#json(long)}. Before cloning it proves that on
 * Invoices the server itself wrote: the same SQL, fed their ids, versions and timestamps, must reproduce
 * their rows exactly (EXCEPT both ways, every table).
 */
final class InvoiceCloner {
    static final List<String> INDEX_TABLES = List.of("search_token", "search_string", "search_reference",
            "search_date", "search_number", "search_quantity", "search_uri");

    private final Connection c;
    private final String projectId;
    private String tplId;
    private String tplVid;
    private String tplLu; // timestamptz as text, for SQL
    private String tplContent;
    private final List<String[]> fragments = new ArrayList<>(); // template fragment, SQL expression of its replacement

    InvoiceCloner(Connection c, String projectId) {
        this.c = c;
        this.projectId = projectId;
    }

    private static String lit(String s) {
        return "'" + s.replace("'", "''") + "'";
    }

    /** Reads the template (n = 0) and checks that each fragment to replace occurs in it as often as expected. */
    void prepare() throws SQLException {
        try (var ps = c.prepareStatement("""
                select r.id, r.version_id::text, r.last_updated::text, r.content from resource r
                  join search_token t on t.resource_type = r.resource_type and t.resource_id = r.id
                 where t.project_id = ? and t.resource_type = 'Invoice' and t.param = 'identifier' and t.code = 'in_0'""")) {
            ps.setString(1, projectId);
            try (var rs = ps.executeQuery()) {
                if (!rs.next()) throw new IllegalStateException("template Invoice in_0 not found");
                tplId = rs.getString(1);
                tplVid = rs.getString(2);
                tplLu = rs.getString(3);
                tplContent = rs.getString(4);
            }
        }
        String luText;
        try (var st = c.createStatement(); var rs = st.executeQuery(
                "select to_char(" + lit(tplLu) + "::timestamptz at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")) {
            rs.next();
            luText = rs.getString(1);
        }
        add("\"id\":\"" + tplId + "\"", "'\"id\":\"' || c.id || '\"'");
        add("\"versionId\":\"" + tplVid + "\"", "'\"versionId\":\"' || c.vid || '\"'");
        add("\"lastUpdated\":\"" + luText + "\"", "'\"lastUpdated\":\"' || c.lu_text || '\"'");
        add("\"value\":\"" + Invoices.identifier(0) + "\"", "'\"value\":\"in_' || c.n || '\"'");
        add("\"status\":\"" + Invoices.status(0) + "\"", "'\"status\":\"' || c.status || '\"'");
        // the subject, and the Patient compartment the server computes from it (meta.compartment)
        add("\"reference\":\"" + Invoices.subject(0) + "\"", "'\"reference\":\"' || c.subject || '\"'", 2);
        add("\"date\":\"" + Invoices.date(0) + "\"", "'\"date\":\"' || c.date_text || '\"'");
        add("\"value\":" + Invoices.total(0) + ",", "'\"value\":' || c.total_text || ','");
    }

    private void add(String fragment, String replacement) {
        add(fragment, replacement, 1);
    }

    /** A fragment that occurs exactly {@code times} times in the template; every occurrence is replaced. */
    private void add(String fragment, String replacement, int times) {
        int found = 0;
        for (int at = tplContent.indexOf(fragment); at >= 0; at = tplContent.indexOf(fragment, at + 1)) found++;
        if (found != times) {
            throw new IllegalStateException("fragment " + fragment + " occurs " + found + " times in the template, not "
                    + times + ": " + tplContent);
        }
        fragments.add(new String[] {fragment, replacement});
    }

    private String content(String column) {
        String e = column;
        for (var f : fragments) e = "replace(" + e + ", " + lit(f[0]) + ", " + f[1] + ")";
        return e;
    }

    /** clone_src(n, id, vid, lu, ...): one row per Invoice to produce, from {@code source} (n, id, vid, lu). */
    private void source(Statement st, String source) throws SQLException {
        st.execute("drop table if exists clone_src");
        st.execute("""
                create temp table clone_src as
                select s.n, s.id, s.vid, s.lu,
                       to_char(s.lu at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as lu_text,
                       (array['draft','issued','balanced','cancelled'])[(s.n %% 4) + 1] as status,
                       ((s.n * 2654435761) %% %d) * interval '1 second' as date_shift,
                       to_char((timestamptz '2021-01-01 00:00:00+00' + ((s.n * 2654435761) %% %d) * interval '1 second')
                               at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as date_text,
                       'Patient/bench-patient-' || (s.n %% 10000) as subject,
                       'bench-patient-' || (s.n %% 10000) as subject_id,
                       ((s.n %% 100000) || '.5') as total_text,
                       ((s.n %% 100000) || '.5')::numeric as total
                  from (%s) s(n, id, vid, lu)""".formatted(Invoices.SPAN_SECONDS, Invoices.SPAN_SECONDS, source));
    }

    /** The SELECT producing the clones' rows of {@code table}, columns in table order. */
    private String select(String table) throws SQLException {
        if (table.equals("resource")) {
            return "select t.resource_type, c.id, t.project_id, c.vid::uuid, c.lu, t.deleted, " + content("t.content")
                    + " from resource t, clone_src c where t.resource_type = 'Invoice' and t.id = " + lit(tplId);
        }
        if (table.equals("resource_history")) {
            return "select c.vid::uuid, t.resource_type, c.id, t.project_id, c.lu, t.deleted, t.request_method, " + content("t.content")
                    + " from resource_history t, clone_src c where t.resource_type = 'Invoice' and t.id = " + lit(tplId)
                    + " and t.version_id = " + lit(tplVid) + "::uuid";
        }
        var cols = new ArrayList<String>();
        for (String[] col : columns(table)) {
            String name = col[0], type = col[1];
            String e;
            if (name.equals("resource_id")) e = "c.id";
            else if (name.equals("project_id") || name.equals("resource_type") || name.equals("param")) e = "t." + name;
            else if (type.equals("text")) {
                e = "case t." + name + " when " + lit(tplId) + " then c.id when " + lit(Invoices.identifier(0))
                        + " then 'in_' || c.n when " + lit(Invoices.status(0)) + " then c.status when " + lit(Invoices.subject(0))
                        + " then c.subject when " + lit("bench-patient-0") + " then c.subject_id else t." + name + " end";
            } else if (type.startsWith("timestamp")) {
                e = "case t.param when 'date' then t." + name + " + c.date_shift when '_lastUpdated' then t." + name
                        + " + (c.lu - " + lit(tplLu) + "::timestamptz) else t." + name + " end";
            } else if (type.equals("numeric")) {
                e = "case when t." + name + " = " + Invoices.total(0) + " then c.total else t." + name + " end";
            } else {
                e = "t." + name;
            }
            cols.add(e);
        }
        return "select " + String.join(", ", cols) + " from " + table + " t, clone_src c where t.resource_type = 'Invoice' and t.resource_id = "
                + lit(tplId);
    }

    private List<String[]> columns(String table) throws SQLException {
        var out = new ArrayList<String[]>();
        try (var ps = c.prepareStatement("select column_name, data_type from information_schema.columns where table_name = ? and table_schema = current_schema() order by ordinal_position")) {
            ps.setString(1, table);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }

    private String existing(String table, String ids) throws SQLException {
        if (table.equals("resource")) {
            return "select resource_type, id, project_id, version_id, last_updated, deleted, content from resource where resource_type = 'Invoice' and id in (" + ids + ")";
        }
        if (table.equals("resource_history")) {
            return "select version_id, resource_type, id, project_id, last_updated, deleted, request_method, content from resource_history where resource_type = 'Invoice' and id in (" + ids + ")";
        }
        var names = columns(table).stream().map(x -> x[0]).toList();
        return "select " + String.join(", ", names) + " from " + table + " where resource_type = 'Invoice' and resource_id in (" + ids + ")";
    }

    private static List<String> allTables() {
        var t = new ArrayList<String>(List.of("resource", "resource_history"));
        t.addAll(INDEX_TABLES);
        return t;
    }

    /** Reproduces {@code sample} server-written Invoices (n in 1 .. below-1) with the clone SQL; returns rows compared. */
    long verify(long below, int sample) throws SQLException {
        long compared = 0;
        c.setAutoCommit(false);
        try (var st = c.createStatement()) {
            String server = "select substr(t.code, 4)::bigint, r.id, r.version_id::text, r.last_updated from search_token t"
                    + " join resource r on r.resource_type = t.resource_type and r.id = t.resource_id"
                    + " where t.project_id = " + lit(projectId) + " and t.resource_type = 'Invoice' and t.param = 'identifier'"
                    + " and t.code in (" + String.join(",", sampleCodes(below, sample)) + ")";
            source(st, server);
            String ids = "select id from clone_src";
            try (var rs = st.executeQuery("select count(*) from clone_src")) {
                rs.next();
                if (rs.getLong(1) != sample) throw new IllegalStateException("verify: found " + rs.getLong(1) + " of " + sample);
            }
            for (String table : allTables()) {
                String sel = select(table);
                String ex = existing(table, ids);
                try (var rs = st.executeQuery("select (select count(*) from ((" + sel + ") except all (" + ex + ")) a), (select count(*) from (("
                        + ex + ") except all (" + sel + ")) b), (select count(*) from (" + ex + ") e)")) {
                    rs.next();
                    if (rs.getLong(1) != 0 || rs.getLong(2) != 0) {
                        throw new IllegalStateException("verify: " + table + ": " + rs.getLong(1) + " cloned rows not written by the server, "
                                + rs.getLong(2) + " server rows not reproduced");
                    }
                    compared += rs.getLong(3);
                }
            }
        } finally {
            c.rollback();
            c.setAutoCommit(true);
        }
        return compared;
    }

    private static List<String> sampleCodes(long below, int sample) {
        var codes = new ArrayList<String>();
        for (int i = 0; i < sample; i++) codes.add("'in_" + (1 + (i * 7919L) % (below - 1)) + "'");
        return codes.stream().distinct().toList();
    }

    /** Clones Invoices [from, to) in chunks, each its own transaction. */
    void cloneRange(long from, long to, int chunk) throws SQLException {
        String base;
        try (var st = c.createStatement(); var rs = st.executeQuery("select (max(last_updated) + interval '1 second')::text from resource")) {
            rs.next();
            base = rs.getString(1);
        }
        long t0 = System.nanoTime();
        c.setAutoCommit(false);
        try (var st = c.createStatement()) {
            for (long a = from; a < to; a += chunk) {
                long b = Math.min(to, a + chunk);
                source(st, "select n, gen_random_uuid()::text, gen_random_uuid()::text, " + lit(base) + "::timestamptz + (n - " + from
                        + ") * interval '1 millisecond' from generate_series(" + a + ", " + (b - 1) + ") n");
                for (String table : allTables()) {
                    String cols = table.equals("resource") ? "(resource_type, id, project_id, version_id, last_updated, deleted, content)"
                            : table.equals("resource_history") ? "(version_id, resource_type, id, project_id, last_updated, deleted, request_method, content)" : "";
                    st.executeUpdate("insert into " + table + " " + cols + " " + select(table));
                }
                c.commit();
                double s = (System.nanoTime() - t0) / 1e9;
                System.err.printf(Locale.ROOT, "bench: cloned up to %d (%.0f s, %.0f/s)%n", b, s, (b - from) / s);
            }
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }
}
