package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.definitions.SearchParameters;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the search index of a resource in step with its current version. Called by the store inside the
 * writing transaction, so a resource and its index rows are committed (or rolled back) together.
 * Thread-safe.
 */
public final class SearchIndexer {
    private static final List<String> TABLES = List.of("search_token", "search_string", "search_reference",
            "search_date", "search_number", "search_quantity", "search_uri");

    private final SearchParameters parameters;
    private final IndexExtractor extractor;

    public SearchIndexer(SearchParameters parameters) {
        this.parameters = parameters;
        this.extractor = new IndexExtractor(parameters);
    }

    /** The parameters this indexer extracts. */
    public SearchParameters parameters() {
        return parameters;
    }

    /** Replaces the index rows of {@code type/id} with those of {@code resource}. */
    public void replace(Jdbc tx, String projectId, String type, String id, JsonNode resource, boolean existed) {
        var rows = extractor.extract(type, resource); // before any write: a refusal leaves nothing to undo
        if (existed) remove(tx, type, id);
        var batches = new java.util.LinkedHashMap<String, List<Object[]>>();
        for (IndexRow row : rows) add(batches, projectId, type, id, row, null);
        batches.forEach(tx::batch);
    }

    private static final String TOKEN = "insert into search_token (project_id, resource_type, resource_id, param, system, code, text, type_system, type_code, grp) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String STRING = "insert into search_string (project_id, resource_type, resource_id, param, value, exact, grp) values (?, ?, ?, ?, ?, ?, ?)";
    private static final String REFERENCE = "insert into search_reference (project_id, resource_type, resource_id, param, target_type, target_id, url, grp) values (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String DATE = "insert into search_date (project_id, resource_type, resource_id, param, low, high, grp) values (?, ?, ?, ?, ?, ?, ?)";
    private static final String NUMBER = "insert into search_number (project_id, resource_type, resource_id, param, value, grp) values (?, ?, ?, ?, ?, ?)";
    private static final String QUANTITY = "insert into search_quantity (project_id, resource_type, resource_id, param, value, system, code, grp) values (?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String URI = "insert into search_uri (project_id, resource_type, resource_id, param, value, grp) values (?, ?, ?, ?, ?, ?)";

    private static void add(java.util.Map<String, List<Object[]>> batches, String projectId, String type, String id, IndexRow row, Integer group) {
        switch (row) {
            case IndexRow.Token t -> batch(batches, TOKEN, projectId, type, id, t.param(), t.system(), t.code(), t.text(), t.typeSystem(), t.typeCode(), group);
            case IndexRow.Str s -> batch(batches, STRING, projectId, type, id, s.param(), s.value(), s.exact(), group);
            case IndexRow.Reference r -> batch(batches, REFERENCE, projectId, type, id, r.param(), r.targetType(), r.targetId(), r.url(), group);
            case IndexRow.Date d -> batch(batches, DATE, projectId, type, id, d.param(), d.low(), d.high(), group);
            case IndexRow.Number n -> batch(batches, NUMBER, projectId, type, id, n.param(), n.value(), group);
            case IndexRow.Quantity q -> batch(batches, QUANTITY, projectId, type, id, q.param(), q.value(), q.system(), q.code(), group);
            case IndexRow.Uri u -> batch(batches, URI, projectId, type, id, u.param(), u.value(), group);
            case IndexRow.InGroup g -> add(batches, projectId, type, id, g.row(), g.group());
        }
    }

    private static void batch(java.util.Map<String, List<Object[]>> batches, String sql, Object... values) {
        batches.computeIfAbsent(sql, k -> new ArrayList<>()).add(values);
    }

    /** One round trip that empties every index table of one resource. */
    private static final String REMOVE_ALL = buildRemoveAll();

    private static String buildRemoveAll() {
        var sql = new StringBuilder("with ");
        for (int i = 0; i < TABLES.size(); i++) {
            if (i > 0) sql.append(", ");
            sql.append("d").append(i).append(" as (delete from ").append(TABLES.get(i))
                    .append(" where resource_type = ? and resource_id = ?)");
        }
        return sql.append(" select 1").toString();
    }

    /** Removes every index row of {@code type/id} (on delete: a deleted resource is found by no search). */
    public void remove(Jdbc tx, String type, String id) {
        var args = new Object[TABLES.size() * 2];
        for (int i = 0; i < TABLES.size(); i++) {
            args[2 * i] = type;
            args[2 * i + 1] = id;
        }
        tx.query(REMOVE_ALL, rs -> 1, args);
    }
}
