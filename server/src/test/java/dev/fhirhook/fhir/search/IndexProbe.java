package dev.fhirhook.fhir.search;

import dev.fhirhook.db.Jdbc;

/**
 * Whether a query can be answered from one index as it is defined: the index is rebuilt on an empty copy of its
 * table, where it is the only index, and with sequential and bitmap scans off the plan uses it only if the query's
 * conditions match its columns, expressions and predicate (else a seq scan).
 */
final class IndexProbe {
    static final String TABLE = "probe";
    static final String INDEX = "probe_index";

    private IndexProbe() {}

    static String definition(Jdbc jdbc, String index) {
        return jdbc.query("select indexdef from pg_indexes where indexname = ?", rs -> rs.getString(1), index).getFirst();
    }

    /** The names of {@code table}'s indexes, in order. */
    static java.util.List<String> names(Jdbc jdbc, String table) {
        return jdbc.query("select indexname from pg_indexes where tablename = ? order by indexname",
                rs -> rs.getString(1), table);
    }

    /** The plan's one {@code Index Cond} line; fails when it has none or several. */
    static String onlyIndexCondition(String plan) {
        var conditions = plan.lines().filter(l -> l.contains("Index Cond")).toList();
        if (conditions.size() != 1) throw new AssertionError("not exactly one Index Cond in\n" + plan);
        return conditions.getFirst();
    }

    /** The plan of {@code query}, which reads the copy of {@code table} as {@value #TABLE}. */
    static String plan(Jdbc jdbc, String table, String index, String query) {
        String definition = definition(jdbc, index);
        return jdbc.inTransaction(tx -> {
            tx.update("create temp table " + TABLE + " (like " + table + ") on commit drop");
            tx.update(definition.replace("INDEX " + index + " ON public." + table, "INDEX " + INDEX + " ON " + TABLE));
            tx.update("set local enable_seqscan = off");
            tx.update("set local enable_bitmapscan = off");
            return String.join("\n", tx.query("explain " + query, rs -> rs.getString(1)));
        });
    }
}
