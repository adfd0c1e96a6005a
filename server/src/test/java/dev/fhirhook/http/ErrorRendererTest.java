package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.db.DataAccessException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** How database failures become answers: the client's value (400), a lost database (503), a stopped statement (504). */
class ErrorRendererTest {
    private final ErrorRenderer renderer = new ErrorRenderer("http://localhost/");
    private final RequestIds ids = new RequestIds("r", "t");

    @Test
    void a_cancelled_statement_is_504_too_costly_and_not_a_lost_database() throws Exception {
        var reply = renderer.render(new DataAccessException("search", new SQLException("canceling statement", "57014")), ids,
                "GET", "/fhir/R4/Invoice", null, null);
        assertThat(reply.status()).isEqualTo(504);
        var outcome = new ObjectMapper().readTree(reply.body());
        assertThat(outcome.path("id").asText()).isEqualTo("server-timeout");
        assertThat(outcome.path("issue").path(0).path("code").asText()).isEqualTo("too-costly");
        assertThat(outcome.path("issue").path(0).path("details").path("text").asText()).contains("took too long");
    }

    @Test
    void a_lost_connection_is_503_with_retry_after_and_a_refused_value_400() {
        var lost = renderer.render(new DataAccessException("q", new SQLException("gone", "08006")), ids, "GET", "/", null, null);
        assertThat(lost.status()).isEqualTo(503);
        assertThat(lost.headers()).containsKey("Retry-After");
        var value = renderer.render(new DataAccessException("q", new SQLException("nul", "22021")), ids, "GET", "/", null, null);
        assertThat(value.status()).isEqualTo(400);
        var bug = renderer.render(new IllegalStateException("internal detail"), ids, "GET", "/", null, null);
        assertThat(bug.status()).isEqualTo(500);
        assertThat(new String(bug.body())).doesNotContain("internal detail").contains("\"r\"");
    }
}
