package dev.fhirhook.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.TestServer;
import org.junit.jupiter.api.Test;

/**
 * The embedded cluster compares text with PostgreSQL's builtin C.UTF-8 locale: by code point, with memcmp, and
 * with Unicode case mapping. Every index on ids, types, parameter names and codes compares text on each insert
 * and look-up; a libc locale makes each of those comparisons a strcoll call.
 */
class EmbeddedCollationTest {
    private final Jdbc jdbc = TestServer.get().server().database().jdbc();

    @Test
    void a_new_cluster_uses_the_builtin_code_point_locale() {
        assertThat(jdbc.query("select datlocprovider::text || ' ' || datlocale from pg_database where datname = current_database()",
                rs -> rs.getString(1))).containsExactly("b C.UTF-8");
    }

    @Test
    void text_sorts_by_code_point_and_case_maps_beyond_ascii() {
        // code point order: upper case before lower case, accented letters after z
        assertThat(jdbc.query("select v from unnest(array['b', 'a', 'B', 'é', 'z', 'A']) v order by v", rs -> rs.getString(1)))
                .containsExactly("A", "B", "a", "b", "z", "é");
        assertThat(jdbc.query("select lower('ÉLODIE') || ' ' || upper('straße')", rs -> rs.getString(1)))
                .containsExactly("élodie STRAßE");
    }
}
