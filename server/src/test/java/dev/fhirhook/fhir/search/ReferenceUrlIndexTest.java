package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.db.Jdbc;
import dev.fhirhook.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * search_reference_url holds only the rows a url comparison can match (no target), and the condition the search
 * writes for such a comparison lets PostgreSQL answer it from that index.
 */
class ReferenceUrlIndexTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();

    @Test
    void the_url_index_leaves_out_references_with_a_target() {
        assertThat(IndexProbe.definition(jdbc, "search_reference_url")).endsWith("WHERE (target_id IS NULL)");
    }

    @Test
    void the_search_condition_for_a_url_implies_the_index_predicate() {
        var plan = IndexProbe.plan(jdbc, "search_reference", "search_reference_url", "select 1 from probe x"
                + " where x.project_id = 'p' and x.resource_type = 'Observation' and x.param = 'subject'"
                + " and (x.url = 'urn:uuid:1' and x.target_id is null)");
        assertThat(plan).contains(IndexProbe.INDEX).doesNotContain("Seq Scan");
    }
}
