package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.db.Jdbc;
import dev.fhirhook.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * search_date_range (V13) is keyed by one hash of project, type and parameter, then the range; the condition a date
 * search writes (SearchSql.DATE_SCOPE) must be one PostgreSQL answers from that index, or date searches would scan.
 */
class DateScopeIndexTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();

    @Test
    void the_date_range_index_is_keyed_by_the_scope_hash_then_the_range() {
        assertThat(IndexProbe.definition(jdbc, "search_date_range")).contains("USING gist (hashtextextended(").contains("tstzrange(low, high, '[)'::text)");
    }

    @Test
    void a_date_search_condition_is_answered_from_the_index_with_the_hash_as_an_index_condition() {
        var plan = IndexProbe.plan(jdbc, "search_date", "search_date_range", "select 1 from probe x where x.project_id = 'p'"
                + " and x.resource_type = 'Invoice' and x.param = 'date'"
                + " and " + SearchSql.DATE_SCOPE.formatted("x") + " = hashtextextended('p|Invoice|date', 0)"
                + " and tstzrange(x.low, x.high, '[)') && tstzrange(now(), now() + interval '1 day', '[)')");
        assertThat(plan).contains(IndexProbe.INDEX).doesNotContain("Seq Scan");
        assertThat(IndexProbe.onlyIndexCondition(plan)).contains("hashtextextended").contains("&&");
    }

    @Test
    void the_hash_of_the_bound_scope_equals_the_hash_of_the_row_columns() {
        assertThat(jdbc.query("select " + SearchSql.DATE_SCOPE.formatted("x") + " = hashtextextended(?, 0)"
                        + " from (select 'p-1' as project_id, 'Observation' as resource_type, 'date' as param) x",
                rs -> rs.getBoolean(1), "p-1|Observation|date")).containsExactly(true);
    }
}
