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
        assertThat(jdbc.query("select indexdef from pg_indexes where indexname = 'search_reference_url'", rs -> rs.getString(1)))
                .singleElement().asString().endsWith("WHERE (target_id IS NULL)");
    }

    @Test
    void the_search_condition_for_a_url_implies_the_index_predicate() {
        // The index as defined, on an empty copy of the table where it is the only index: with sequential and bitmap
        // scans off, the plan uses it only if the search's condition implies its predicate (else a seq scan).
        String definition = jdbc.query("select indexdef from pg_indexes where indexname = 'search_reference_url'",
                rs -> rs.getString(1)).getFirst();
        var plan = jdbc.inTransaction(tx -> {
            tx.update("create temp table url_probe (like search_reference) on commit drop");
            tx.update(definition.replace("INDEX search_reference_url ON public.search_reference",
                    "INDEX url_probe_index ON url_probe"));
            tx.update("set local enable_seqscan = off");
            tx.update("set local enable_bitmapscan = off");
            return String.join("\n", tx.query("explain select 1 from url_probe x where x.project_id = 'p'"
                    + " and x.resource_type = 'Observation' and x.param = 'subject'"
                    + " and (x.url = 'urn:uuid:1' and x.target_id is null)", rs -> rs.getString(1)));
        });
        assertThat(plan).contains("url_probe_index").doesNotContain("Seq Scan");
    }
}
