package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The request limiter through HTTP, on a second server (same database) with small limits and a manual clock:
 * the {@code RateLimit} header, 429 with {@code Retry-After}, and the refill after the window.
 */
class RateLimitTest {

    private static Api.Reply token(Api api, String form) {
        return api.send(api.request("/oauth2/token").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form)));
    }

    @Test
    void a_thousand_failed_logins_from_one_address_are_throttled_and_the_window_refills() throws Exception {
        var clock = new ManualClock(Instant.now());
        var shared = TestServer.get().server().database();
        try (var server = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-limits-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres",
                "rate-limit-auth", "20", "rate-limit-default", "100")), clock)) {
            var anonymous = new Api(server.baseUrl(), null, null);
            String form = "grant_type=client_credentials&client_id=" + TestServer.ADMIN_ID + "&client_secret=wrong";

            var first = token(anonymous, form);
            assertThat(first.status()).isEqualTo(400);
            assertThat(first.json().path("error_description").asText()).isEqualTo("Invalid secret");
            assertThat(first.header("RateLimit")).isEqualTo("\"requests\";r=19;t=60");

            int refused = 0;
            Api.Reply last = null;
            for (int i = 1; i < 1000; i++) {
                last = token(anonymous, form);
                if (last.status() == 429) refused++;
                else assertThat(last.status()).as("attempt %d", i).isEqualTo(400);
            }
            assertThat(refused).isEqualTo(1000 - 20);
            assertThat(last.status()).isEqualTo(429);
            assertThat(last.header("Retry-After")).isEqualTo("60");
            assertThat(last.header("RateLimit")).isNull();
            assertThat(last.header("Content-Type")).startsWith("application/json");
            var outcome = last.json();
            assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
            assertThat(outcome.path("id").asText()).isEqualTo("too-many-requests");
            assertThat(outcome.path("issue").path(0).path("severity").asText()).isEqualTo("error");
            assertThat(outcome.path("issue").path(0).path("code").asText()).isEqualTo("throttled");
            assertThat(last.outcomeText()).isEqualTo("Too Many Requests");

            // the right credentials do not get past the limiter either: it is checked before anything else
            var admin = new Api(server.baseUrl(), TestServer.ADMIN_ID, TestServer.ADMIN_SECRET);
            assertThat(token(admin, "grant_type=client_credentials").status()).isEqualTo(429);
            // other categories count separately
            var health = admin.get("/healthcheck");
            assertThat(health.status()).isEqualTo(200);
            assertThat(health.header("RateLimit")).isEqualTo("\"requests\";r=99;t=60");
            assertThat(admin.get("/fhir/R4/nonexistent-type").header("RateLimit")).as("on error responses too")
                    .isEqualTo("\"requests\";r=98;t=60");

            clock.advance(Duration.ofSeconds(45));
            assertThat(token(anonymous, form).header("Retry-After")).isEqualTo("15");
            clock.advance(Duration.ofSeconds(15));
            var refilled = token(admin, "grant_type=client_credentials");
            assertThat(refilled.status()).as(refilled.toString()).isEqualTo(200);
            assertThat(refilled.header("RateLimit")).isEqualTo("\"requests\";r=19;t=60");
        }
    }

    @Test
    void the_shared_server_sends_the_header_with_medplums_defaults() {
        var reply = TestServer.get().anonymous().get("/healthcheck");
        assertThat(reply.header("RateLimit")).matches("\"requests\";r=\\d+;t=\\d+");
        assertThat(TestServer.get().anonymous().get("/fhir/R4/Patient?_count=1").header("RateLimit")).as("on a 401 too")
                .matches("\"requests\";r=\\d+;t=\\d+");
    }
}
