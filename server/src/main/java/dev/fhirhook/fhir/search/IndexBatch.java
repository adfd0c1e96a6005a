package dev.fhirhook.fhir.search;

import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The index rows of one or more resources, held as one column array per index column, so that every index table
 * is filled by a single {@code insert ... select * from unnest(...)}: {@link #inserts()} are those inserts as
 * data-modifying CTEs, which a writer puts into the same statement as the resource row and its history entry.
 * A write then costs one round trip, whatever the number of rows and tables (each round trip is a wake-up of
 * the PostgreSQL backend and of the JDBC thread, which on a small machine costs more than the inserts).
 *
 * <p>Values travel as {@code text[]} and are cast in SQL; timestamps are written the way pgjdbc writes a
 * {@code timestamptz} parameter (microseconds, rounded half up; years before 1 as BC), so the index holds the
 * same instants as when rows were bound one by one. Not thread-safe: one batch per write.
 */
public final class IndexBatch {
    /** An index table: the columns after {@code project_id, resource_type, resource_id, param}, and their types. */
    private enum Table {
        TOKEN("search_token", "system:text", "code:text", "text:text", "type_system:text", "type_code:text"),
        STRING("search_string", "value:text", "exact:text"),
        REFERENCE("search_reference", "target_type:text", "target_id:text", "url:text"),
        DATE("search_date", "low:timestamptz", "high:timestamptz"),
        NUMBER("search_number", "value:numeric"),
        QUANTITY("search_quantity", "value:numeric", "system:text", "code:text"),
        URI("search_uri", "value:text");

        final String name;
        final List<String> columns = new ArrayList<>(List.of("project_id", "resource_type", "resource_id", "param"));
        final List<String> types = new ArrayList<>(List.of("text", "text", "text", "text"));

        Table(String name, String... typed) {
            this.name = name;
            for (String column : typed) {
                columns.add(column.substring(0, column.indexOf(':')));
                types.add(column.substring(column.indexOf(':') + 1));
            }
            columns.add("grp");
            types.add("int");
        }

        String insert(String cte) {
            var sql = new StringBuilder(cte).append(" as (insert into ").append(name).append(" (")
                    .append(String.join(", ", columns)).append(") select * from unnest(");
            for (int i = 0; i < types.size(); i++) {
                sql.append(i == 0 ? "" : ", ").append("?::").append(types.get(i)).append("[]");
            }
            return sql.append("))").toString();
        }
    }

    /** The names of the index tables, in a fixed order. */
    static final List<String> TABLES = java.util.Arrays.stream(Table.values()).map(t -> t.name).toList();

    /** The insert CTEs of each set of tables with rows, by bit mask of {@link Table#ordinal()}; built once each. */
    private static final String[] INSERTS = new String[1 << Table.values().length];

    private static String inserts(int mask) {
        String sql = INSERTS[mask];
        if (sql != null) return sql;
        var ctes = new ArrayList<String>();
        for (Table table : Table.values()) {
            if ((mask & (1 << table.ordinal())) != 0) ctes.add(table.insert("i_" + table.name().toLowerCase(Locale.ROOT)));
        }
        sql = String.join(",\n", ctes);
        INSERTS[mask] = sql; // a benign race: every thread builds the same text
        return sql;
    }

    /** Per table, per column, the values of its rows so far. */
    private final List<List<List<String>>> columns = new ArrayList<>();
    private final IndexExtractor extractor;

    IndexBatch(IndexExtractor extractor) {
        this.extractor = extractor;
        for (Table table : Table.values()) {
            var perColumn = new ArrayList<List<String>>();
            for (int i = 0; i < table.columns.size(); i++) perColumn.add(new ArrayList<>());
            columns.add(perColumn);
        }
    }

    /**
     * Extracts and adds the index rows of one resource.
     *
     * @throws dev.fhirhook.api.ApiException when a value cannot be indexed (before anything is written)
     */
    public IndexBatch add(String projectId, String type, String id, com.fasterxml.jackson.databind.JsonNode resource) {
        return add(projectId, type, id, resource, Map.of());
    }

    /**
     * As {@link #add(String, String, String, com.fasterxml.jackson.databind.JsonNode)}, with the results of parameter
     * expressions the writer already evaluated on this same {@code resource}, which are not evaluated again.
     */
    public IndexBatch add(String projectId, String type, String id, com.fasterxml.jackson.databind.JsonNode resource,
            Map<SearchParam, List<FhirPath.Item>> evaluated) {
        for (IndexRow row : extractor.extract(type, resource, evaluated)) add(projectId, type, id, row, null);
        return this;
    }

    private void add(String projectId, String type, String id, IndexRow row, Integer group) {
        switch (row) {
            case IndexRow.Token t -> put(Table.TOKEN, projectId, type, id, t.param(), t.system(), t.code(), t.text(),
                    t.typeSystem(), t.typeCode(), group);
            case IndexRow.Str s -> put(Table.STRING, projectId, type, id, s.param(), s.value(), s.exact(), group);
            case IndexRow.Reference r -> put(Table.REFERENCE, projectId, type, id, r.param(), r.targetType(),
                    r.targetId(), r.url(), group);
            case IndexRow.Date d -> put(Table.DATE, projectId, type, id, d.param(), d.low(), d.high(), group);
            case IndexRow.Number n -> put(Table.NUMBER, projectId, type, id, n.param(), n.value(), group);
            case IndexRow.Quantity q -> put(Table.QUANTITY, projectId, type, id, q.param(), q.value(), q.system(),
                    q.code(), group);
            case IndexRow.Uri u -> put(Table.URI, projectId, type, id, u.param(), u.value(), group);
            case IndexRow.InGroup g -> add(projectId, type, id, g.row(), g.group());
        }
    }

    private void put(Table table, Object... values) {
        var perColumn = columns.get(table.ordinal());
        for (int i = 0; i < values.length; i++) perColumn.get(i).add(text(values[i]));
    }

    /**
     * The CTEs that insert this batch's rows, only for the tables that have some, each named {@code i_<table>};
     * empty when there are none. A statement that named every table would open each of them and their indexes
     * (about thirty relations) on every write, which costs more than the rows.
     */
    public String inserts() {
        return inserts(mask());
    }

    /** The arrays to bind to {@link #inserts()}, one {@code String[]} per column of each table in it. */
    public Object[] parameters() {
        var out = new ArrayList<Object>();
        for (var perColumn : columns) {
            if (perColumn.getFirst().isEmpty()) continue;
            for (var column : perColumn) out.add(column.toArray(String[]::new));
        }
        return out.toArray();
    }

    /** Whether no resource added so far has any index row. */
    public boolean isEmpty() {
        return mask() == 0;
    }

    private int mask() {
        int mask = 0;
        for (int i = 0; i < columns.size(); i++) {
            if (!columns.get(i).getFirst().isEmpty()) mask |= 1 << i;
        }
        return mask;
    }

    private static String text(Object value) {
        return switch (value) {
            case null -> null;
            case Instant instant -> timestamp(instant);
            case BigDecimal number -> number.toString();
            default -> value.toString();
        };
    }

    /**
     * An instant as PostgreSQL reads a {@code timestamptz}, written as pgjdbc writes one: microseconds with the
     * rest rounded half up, a year before 1 as its BC year.
     */
    static String timestamp(Instant instant) {
        var utc = OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
        if (utc.getNano() % 1000 > 499) utc = utc.plus(1, ChronoUnit.MICROS);
        int year = utc.getYear();
        boolean bc = year <= 0;
        return String.format(Locale.ROOT, "%04d-%02d-%02d %02d:%02d:%02d.%06d+00%s", bc ? 1 - year : year,
                utc.getMonthValue(), utc.getDayOfMonth(), utc.getHour(), utc.getMinute(), utc.getSecond(),
                utc.getNano() / 1000, bc ? " BC" : "");
    }
}
