package dev.fhirhook.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.TestServer;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A webhook refused because the node's bot runner is full (bot-max-concurrency) is a refusal like any other: an
 * AuditEvent with its reason, never counted as a delivery the bot took.
 */
class WebhookSaturationTest {
    private static Fhirhook single;

    @BeforeAll
    static void start() {
        var shared = TestServer.get().server().database();
        single = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-webhook-saturation-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres",
                "bot-max-concurrency", "1", "bot-max-concurrency-per-bot", "1")), java.time.Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (single != null) single.close();
    }

    private static Hooks.Hook deployed(String code) {
        return Hooks.create(single.baseUrl(), TestServer.get().newProject(), null, Map.of(), true).deploy(code);
    }

    @Test
    void a_webhook_refused_because_every_bot_slot_of_the_node_is_taken_is_audited_as_rate_limited() throws Exception {
        var slow = deployed("exports.handler = async () => new Promise((r) => setTimeout(() => r('slow'), 5000));");
        var fast = deployed("exports.handler = async () => 'fast';");
        try (var callers = Executors.newVirtualThreadPerTaskExecutor()) {
            var running = CompletableFuture.supplyAsync(() -> slow.post("{}", Map.of()), callers);
            Thread.sleep(1000); // the slow run holds the node's only slot for 5 s from its start
            var refused = fast.post("{}", Map.of());
            assertThat(refused.status()).as(refused.toString()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertThat(running.get(20, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
        var events = Hooks.awaitSearch(fast.project().api(), "AuditEvent?subtype=rate-limited");
        var event = events.path("entry").path(0).path("resource");
        assertThat(event.path("outcome").asText()).as(events.toString()).isEqualTo("4");
        assertThat(Hooks.awaitSearch(slow.project().api(), "AuditEvent?subtype=rate-limited").path("entry").size())
                .as("the run that held the slot was no refusal").isZero();
    }
}
