package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.db.Jdbc;
import dev.fhirhook.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * V16 dropped four indexes that every write paid for: resource_history_type, the unique constraint on
 * resource_history.version_id, and the date B-trees search_date_lookup and search_date_high. What they served is
 * answered by the indexes that stay.
 */
class WriteIndexesTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();

    @Test
    void a_history_entry_and_a_date_row_each_pay_for_the_indexes_that_queries_use_and_no_more() {
        assertThat(IndexProbe.names(jdbc, "resource_history"))
                .containsExactly("resource_history_instance", "resource_history_pkey", "resource_history_project_type");
        assertThat(IndexProbe.names(jdbc, "search_date")).containsExactly("search_date_range", "search_date_resource");
    }

    @Test
    void a_version_read_by_type_id_and_version_is_answered_from_the_instance_index() {
        var plan = IndexProbe.plan(jdbc, "resource_history", "resource_history_instance",
                "select 1 from probe where resource_type = 'Invoice' and id = 'a' and version_id = gen_random_uuid()");
        assertThat(plan).contains(IndexProbe.INDEX).doesNotContain("Seq Scan");
        assertThat(IndexProbe.onlyIndexCondition(plan)).contains("resource_type").contains("id =");
    }

    @Test
    void a_super_admins_date_search_without_a_project_still_reads_the_range_index() {
        var plan = IndexProbe.plan(jdbc, "search_date", "search_date_range", "select 1 from probe x"
                + " where x.resource_type = 'Invoice' and x.param = 'date'"
                + " and tstzrange(x.low, x.high, '[)') && tstzrange(now(), now() + interval '1 day', '[)')");
        assertThat(plan).contains(IndexProbe.INDEX).doesNotContain("Seq Scan");
        assertThat(IndexProbe.onlyIndexCondition(plan)).contains("&&");
    }
}
