package dev.fhirhook.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.audit.AuditLog;
import dev.fhirhook.bot.runtime.BotRuntime;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.search.SearchIndexer;
import dev.fhirhook.testing.TestServer;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Refusals are first-class: each leaves an AuditEvent (type {@code webhook}, subtype = the reason, outcome 4) in
 * the target's project, without secrets or the body, and moves a counter that super admins read at
 * {@code GET /admin/webhook-metrics}. The audit queue is bounded: when it is full, events are dropped and counted.
 */
class WebhookAuditTest {
    private static final String STRIPE = "{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}]";

    private static Hooks.Hook hook(String extra) {
        return Hooks.create(STRIPE + extra + "}", Map.of("STRIPE", Hooks.STRIPE_SECRET));
    }

    private static JsonNode auditOf(Hooks.Hook hook, String reason) {
        var found = Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=" + reason);
        assertThat(found.path("entry")).as("an AuditEvent with subtype " + reason).isNotEmpty();
        return found.path("entry").path(0).path("resource");
    }

    private static long refusedCount(String reason) {
        var reply = TestServer.get().admin().get("/admin/webhook-metrics");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("refused").path(reason).asLong();
    }

    @Test
    void a_wrong_signature_leaves_an_audit_event_with_signature_mismatch_and_no_secret_or_body() {
        var hook = hook("");
        String body = Hooks.invoicePaid("evt_audit_1", "in_audit_1");
        String forged = Hooks.stripeSignature("whsec_not_the_secret", Instant.now().getEpochSecond(), Hooks.utf8(body));
        var reply = hook.post(body, Map.of("Stripe-Signature", forged));
        assertThat(reply.status()).isEqualTo(401);

        var event = auditOf(hook, "signature-mismatch");
        assertThat(event.path("meta").path("project").asText()).isEqualTo(hook.project().projectId());
        assertThat(event.path("type").path("system").asText()).isEqualTo("https://fhirhook.dev/CodeSystem/audit-event");
        assertThat(event.path("type").path("code").asText()).isEqualTo("webhook");
        assertThat(event.path("subtype").path(0).path("code").asText()).isEqualTo("signature-mismatch");
        assertThat(event.path("outcome").asText()).isEqualTo("4");
        assertThat(event.path("outcomeDesc").asText()).isEqualTo("no v1 signature matches");
        assertThat(event.path("source").path("observer").path("reference").asText()).isEqualTo("Bot/" + hook.botId());
        assertThat(event.path("entity").path(0).path("what").path("reference").asText())
                .isEqualTo("ProjectMembership/" + hook.membershipId());
        assertThat(event.path("agent").path(0).path("network").path("address").asText()).isEqualTo("127.0.0.1");
        var details = event.path("entity").path(1).path("detail");
        assertThat(details.toString()).contains("{\"type\":\"bodySize\",\"valueString\":\"" + body.length() + "\"}")
                .contains(HexFormat.of().formatHex(sha256(Hooks.utf8(body))));
        var tracing = event.path("extension").path(0);
        assertThat(tracing.path("url").asText()).isEqualTo("https://medplum.com/fhir/StructureDefinition/tracing");
        assertThat(tracing.path("extension").path(0).path("valueId").asText()).isEqualTo(reply.header("X-Request-Id"));
        assertThat(tracing.path("extension").path(1).path("valueId").asText()).isEqualTo(reply.header("X-Trace-Id"));

        String all = event.toString();
        assertThat(all).doesNotContain(Hooks.STRIPE_SECRET).doesNotContain("whsec_not_the_secret")
                .doesNotContain(forged).doesNotContain("in_audit_1").doesNotContain("STRIPE");
    }

    @Test
    void each_refusal_reason_is_audited_in_the_targets_project_and_counted() {
        record Case(String reason, String extra, Map<String, String> headers, byte[] body) {}
        long now = Instant.now().getEpochSecond();
        byte[] small = Hooks.utf8("{\"id\":\"evt_1\"}");
        var cases = new Case[] {
                new Case("signature-missing", "", Map.of(), small),
                new Case("signature-malformed", "", Map.of("Stripe-Signature", "t=" + now + ",v1=not-hex"), small),
                new Case("timestamp-out-of-tolerance", "",
                        Map.of("Stripe-Signature", Hooks.stripeSignature(Hooks.STRIPE_SECRET, now - 3600, small)), small),
                new Case("payload-too-large", ",\"maxBodyBytes\":8", Map.of(), small),
                new Case("ip-blocked", ",\"allowedIps\":[\"203.0.113.0/24\"]", Map.of(), small),
        };
        for (var c : cases) {
            long before = refusedCount(c.reason());
            var hook = hook(c.extra());
            var reply = hook.post("application/json", c.body(), c.headers());
            assertThat(reply.status()).as(c.reason() + ": " + reply).isBetween(400, 499);
            var event = auditOf(hook, c.reason());
            assertThat(event.path("outcome").asText()).isEqualTo("4");
            assertThat(refusedCount(c.reason())).as(c.reason()).isGreaterThan(before);
        }
    }

    @Test
    void rate_limited_not_public_no_policy_and_inactive_are_audited_too() {
        var limited = hook(",\"rateLimit\":{\"perMinute\":1}");
        limited.post("{}", Map.of());
        assertThat(limited.post("{}", Map.of()).status()).isEqualTo(429);
        assertThat(auditOf(limited, "rate-limited").path("outcomeDesc").asText()).isEqualTo("the Bot's rateLimit is exhausted");

        var hidden = Hooks.create(TestServer.get().baseUrl(), TestServer.get().newProject(), STRIPE + "}",
                Map.of("STRIPE", Hooks.STRIPE_SECRET), false);
        assertThat(hidden.post("{}", Map.of()).status()).isEqualTo(403);
        assertThat(auditOf(hidden, "not-public").path("source").path("observer").path("reference").asText())
                .isEqualTo("Bot/" + hidden.botId());

        var noPolicy = hook("");
        noPolicy.admin().patch("/fhir/R4/ProjectMembership/" + noPolicy.membershipId(),
                "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]");
        assertThat(noPolicy.post("{}", Map.of()).status()).isEqualTo(403);
        assertThat(auditOf(noPolicy, "no-policy").path("entity").path(0).path("what").path("reference").asText())
                .isEqualTo("ProjectMembership/" + noPolicy.membershipId());

        var inactive = hook("");
        inactive.admin().patch("/fhir/R4/ProjectMembership/" + inactive.membershipId(),
                "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]");
        assertThat(inactive.post("{}", Map.of()).status()).isEqualTo(403);
        auditOf(inactive, "inactive");

        var deleted = hook("");
        deleted.admin().delete("/fhir/R4/ProjectMembership/" + deleted.membershipId());
        assertThat(deleted.post("{}", Map.of()).status()).isEqualTo(410);
        assertThat(auditOf(deleted, "unknown-target").path("outcomeDesc").asText())
                .isEqualTo("the ProjectMembership is deleted");
    }

    @Test
    void an_unknown_target_is_counted_and_logged_but_stored_nowhere() {
        long before = refusedCount("unknown-target");
        var reply = TestServer.get().anonymous().post("/webhook/" + UUID.randomUUID(), "{}");
        assertThat(reply.status()).isEqualTo(404);
        assertThat(refusedCount("unknown-target")).isGreaterThan(before);
    }

    @Test
    void metrics_are_for_super_admins_only() {
        var metrics = TestServer.get().admin().get("/admin/webhook-metrics");
        assertThat(metrics.status()).isEqualTo(200);
        var json = metrics.json();
        for (var reason : Reason.values()) {
            if (reason != Reason.HANDSHAKE) assertThat(json.path("refused").has(reason.code())).as(reason.code()).isTrue();
        }
        assertThat(json.has("accepted")).isTrue();
        assertThat(json.has("handshakes")).isTrue();
        assertThat(json.path("audit").has("dropped")).isTrue();
        assertThat(TestServer.get().newProject().api().get("/admin/webhook-metrics").status()).isEqualTo(403);
        assertThat(TestServer.get().anonymous().get("/admin/webhook-metrics").status()).isEqualTo(401);
    }

    @Test
    void the_metrics_say_how_the_bot_runs_audit_events_were_committed() {
        var before = TestServer.get().admin().get("/admin/webhook-metrics").json().path("runAudit");
        var hook = hook("").deploy("exports.handler = async () => 'ok';");
        String body = Hooks.invoicePaid("evt_metrics_1", "in_metrics_1");
        var reply = hook.post(body, Map.of("Stripe-Signature",
                Hooks.stripeSignature(Hooks.STRIPE_SECRET, Instant.now().getEpochSecond(), Hooks.utf8(body))));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);

        var after = TestServer.get().admin().get("/admin/webhook-metrics").json().path("runAudit");
        // the reply waited for the run's AuditEvent: it is counted, alone or in a shared commit (other tests' runs
        // may be counted too)
        long events = after.path("alone").asLong() + after.path("batchedEvents").asLong();
        long eventsBefore = before.path("alone").asLong() + before.path("batchedEvents").asLong();
        assertThat(events).isGreaterThan(eventsBefore);
        assertThat(after.path("batches").asLong()).isLessThanOrEqualTo(after.path("batchedEvents").asLong());

        var json = new WebhookMetrics().json(0, new AuditLog.Commits(5, 2, 7), new BotRuntime.Placements(0, 0))
                .path("runAudit");
        assertThat(json.toString()).isEqualTo("{\"alone\":5,\"batches\":2,\"batchedEvents\":7}");
    }

    @Test
    void a_full_audit_queue_drops_and_counts_instead_of_waiting() throws Exception {
        var database = TestServer.get().server().database();
        var types = ResourceTypes.load();
        var store = new ResourceStore(database.jdbc(), Clock.systemUTC(), new SearchIndexer(SearchParameters.load(types)));
        var project = TestServer.get().newProject();
        var metrics = new WebhookMetrics();
        int n = 2_000;
        long millis;
        try (var auditLog = new AuditLog(store); var audit = new WebhookAudit(auditLog, Clock.systemUTC(), metrics, 1)) {
            var request = new WebhookAudit.Request("POST", "198.51.100.1", new RequestIds("r", "t"), 2, Optional.empty());
            long started = System.nanoTime();
            for (int i = 0; i < n; i++) {
                audit.refused(new Refusal(Reason.SIGNATURE_MISMATCH, dev.fhirhook.api.ApiException.unauthorized("x"),
                        "test", Optional.of(project.projectId()), Optional.empty(), Optional.empty()), request);
            }
            millis = (System.nanoTime() - started) / 1_000_000;
        } // close() writes what is still queued
        var json = metrics.json(0, new AuditLog.Commits(0, 0, 0), new BotRuntime.Placements(0, 0));
        long written = json.path("audit").path("written").asLong();
        long dropped = json.path("audit").path("dropped").asLong();
        assertThat(json.path("refused").path("signature-mismatch").asLong()).isEqualTo(n);
        assertThat(written + dropped).isEqualTo(n);
        assertThat(dropped).isPositive();
        assertThat(written).isPositive();
        assertThat(millis).as("offering never waits for the database").isLessThan(1_000);
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
