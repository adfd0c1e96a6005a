package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.db.Jdbc;
import dev.fhirhook.fhir.definitions.SearchParameters;

/**
 * Keeps the search index of a resource in step with its current version. Called by the store inside the
 * writing transaction, so a resource and its index rows are committed (or rolled back) together.
 * Thread-safe.
 */
public final class SearchIndexer {
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

    /** An empty batch of index rows, for a writer that puts them into its own statement. */
    public IndexBatch batch() {
        return new IndexBatch(extractor);
    }

    /** Replaces the index rows of {@code type/id} with those of {@code resource}, in one round trip. */
    public void replace(Jdbc tx, String projectId, String type, String id, JsonNode resource, boolean existed) {
        var batch = batch().add(projectId, type, id, resource); // before any write: a refusal leaves nothing to undo
        if (existed) remove(tx, type, id);
        if (!batch.isEmpty()) tx.query("with " + batch.inserts() + " select 1", rs -> 1, batch.parameters());
    }

    /**
     * The CTEs that empty every index table of one resource, taking {@link #removeParameters} — for a writer that
     * replaces a version and its index rows in one statement (the deletes see the rows as they were before the
     * statement, so they never remove the rows the same statement inserts).
     */
    public static final String REMOVES = buildRemoves();

    private static String buildRemoves() {
        var sql = new StringBuilder();
        for (int i = 0; i < IndexBatch.TABLES.size(); i++) {
            if (i > 0) sql.append(", ");
            sql.append("d").append(i).append(" as (delete from ").append(IndexBatch.TABLES.get(i))
                    .append(" where resource_type = ? and resource_id = ?)");
        }
        return sql.toString();
    }

    /** The parameters of {@link #REMOVES} for {@code type/id}. */
    public static Object[] removeParameters(String type, String id) {
        var args = new Object[IndexBatch.TABLES.size() * 2];
        for (int i = 0; i < IndexBatch.TABLES.size(); i++) {
            args[2 * i] = type;
            args[2 * i + 1] = id;
        }
        return args;
    }

    /** Removes every index row of {@code type/id} (on delete: a deleted resource is found by no search). */
    public void remove(Jdbc tx, String type, String id) {
        tx.deferred("with " + REMOVES + " select 1", removeParameters(type, id)); // before the transaction's next statement
    }
}
