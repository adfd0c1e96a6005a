package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.db.Jdbc;
import dev.fhirhook.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * The searches that start from the referenced resource (_has, _revinclude) are answered from search_reference_lookup
 * with all its columns bound, so search_reference_target (dropped in V14) no longer costs every reference row on
 * every write. The queries below have the shapes SearchSql and SearchEngine write for them.
 */
class ReferenceTargetIndexTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();

    @Test
    void references_are_no_longer_indexed_by_target_first() {
        assertThat(IndexProbe.names(jdbc, "search_reference"))
                .containsExactly("search_reference_lookup", "search_reference_resource", "search_reference_url");
    }

    @Test
    void has_binds_the_referring_type_through_its_join_and_reads_the_lookup_index_by_it() {
        // Patient?_has:Observation:subject:code=x, without the Observation's own criteria
        var plan = IndexProbe.plan(jdbc, "search_reference", "search_reference_lookup", """
                select 1 from resource r where r.resource_type = 'Patient' and not r.deleted and r.project_id = 'p'
                   and exists (select 1 from probe x join resource h on h.resource_type = x.resource_type and h.id = x.resource_id
                                where x.project_id = r.project_id and x.target_type = r.resource_type and x.target_id = r.id
                                  and x.param = 'subject' and h.resource_type = 'Observation' and not h.deleted
                                  and h.project_id = 'p')""");
        // whichever side the plan starts from, the referring type is bound (from h.resource_type), not scanned
        assertThat(indexCondition(plan)).contains("resource_type = 'Observation'", "param = 'subject'",
                "target_type = 'Patient'", "project_id = 'p'");
    }

    @Test
    void revinclude_probes_the_lookup_index_with_the_target_ids() {
        // Patient?_revinclude=Observation:subject, for a page of two patients
        var plan = IndexProbe.plan(jdbc, "search_reference", "search_reference_lookup", """
                select distinct s.content from probe x join resource s on s.resource_type = x.resource_type and s.id = x.resource_id
                 where x.resource_type = 'Observation' and x.param = 'subject' and x.target_type = 'Patient'
                   and x.target_id = any('{a,b}') and not s.deleted and x.project_id = 'p' and s.project_id = 'p'
                 limit 1000""");
        assertThat(indexCondition(plan)).contains("resource_type = 'Observation'", "param = 'subject'",
                "target_type = 'Patient'", "project_id = 'p'", "target_id = ANY");
    }

    /** The Index Cond of the probe index's scan. */
    private static String indexCondition(String plan) {
        var lines = plan.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(IndexProbe.INDEX)) {
                for (int j = i + 1; j < lines.size() && !lines.get(j).contains("->"); j++) {
                    if (lines.get(j).contains("Index Cond")) return lines.get(j);
                }
            }
        }
        throw new AssertionError("no index condition on " + IndexProbe.INDEX + " in\n" + plan);
    }
}
