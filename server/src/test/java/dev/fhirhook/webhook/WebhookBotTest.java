package dev.fhirhook.webhook;

import static dev.fhirhook.webhook.Hooks.stripeSignature;
import static dev.fhirhook.webhook.Hooks.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole path with the real bot runner: a signed request reaches a deployed bot, which acts as its membership;
 * a refused one runs nothing. Includes the seed's flow (acceptance 1): a Stripe {@code invoice.paid} upserts the
 * Invoice, the same request with a wrong signature gets 401, runs no bot and leaves an AuditEvent with
 * {@code signature-mismatch}.
 */
class WebhookBotTest {
    private static final String STRIPE = "{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE_WEBHOOK_SECRET\"}]}";
    private static final String INVOICE_SYSTEM = "https://stripe.com/invoice/id";

    /** The seed's bot: upserts the paid invoice by its Stripe id. */
    static final String UPSERT_INVOICE = """
            exports.handler = async (medplum, event) => {
              const invoice = event.input.data.object;
              const saved = await medplum.upsertResource({
                resourceType: 'Invoice',
                identifier: [{ system: 'https://stripe.com/invoice/id', value: invoice.id }],
                status: invoice.status === 'paid' ? 'balanced' : 'issued',
                totalNet: { value: invoice.amount_paid / 100, currency: invoice.currency.toUpperCase() },
              }, 'identifier=https://stripe.com/invoice/id|' + invoice.id);
              return { received: event.input.id, invoice: saved.id };
            };
            """;

    /** Echoes what it received. */
    static final String ECHO = """
            exports.handler = async (medplum, event) => ({
              input: event.input, rawBody: event.rawBody, contentType: event.contentType, headers: event.headers,
              traceId: event.traceId, requester: event.requester === undefined ? null : event.requester });
            """;

    private static Hooks.Hook deployed(String webhook, Map<String, String> secrets, String code) {
        return Hooks.create(webhook, secrets).deploy(code);
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static JsonNode invoices(Hooks.Hook hook, String stripeId) {
        var reply = hook.project().api().get("/fhir/R4/Invoice?identifier=" + INVOICE_SYSTEM + "%7C" + stripeId);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("entry");
    }

    /** The runner's AuditEvents of bot executions in the hook's project. */
    private static int executions(Hooks.Hook hook) {
        var reply = hook.project().api().get("/fhir/R4/AuditEvent?type=https://medplum.com/CodeSystem/audit-event%7Cexecute"
                + "&_count=100");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("entry").size();
    }

    // --- acceptance 1 ---------------------------------------------------------------------------------

    @Test
    void a_signed_stripe_invoice_paid_upserts_the_invoice_and_a_wrong_signature_gets_401_runs_nothing_and_is_audited() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), UPSERT_INVOICE);
        byte[] event = utf8(Hooks.invoicePaid("evt_1NqEXAMPLE", "in_1NqEXAMPLE"));

        var ok = hook.post("application/json", event, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), event)));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(ok.json().path("received").asText()).isEqualTo("evt_1NqEXAMPLE");
        var stored = invoices(hook, "in_1NqEXAMPLE");
        assertThat(stored).hasSize(1);
        var invoice = stored.path(0).path("resource");
        assertThat(invoice.path("id").asText()).isEqualTo(ok.json().path("invoice").asText());
        assertThat(invoice.path("status").asText()).isEqualTo("balanced");
        assertThat(invoice.path("totalNet").path("value").asDouble()).isEqualTo(42.0);
        assertThat(invoice.path("meta").path("author").path("reference").asText()).isEqualTo("Bot/" + hook.botId());
        int runs = executions(hook);
        assertThat(runs).isEqualTo(1);

        // Stripe retries: the same event upserts the same Invoice
        var retried = hook.post("application/json", event, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), event)));
        assertThat(retried.status()).isEqualTo(200);
        assertThat(retried.json().path("invoice").asText()).isEqualTo(invoice.path("id").asText());
        assertThat(invoices(hook, "in_1NqEXAMPLE")).hasSize(1);

        byte[] forgedEvent = utf8(Hooks.invoicePaid("evt_forged", "in_forged"));
        var forged = hook.post("application/json", forgedEvent, Map.of("Stripe-Signature",
                stripeSignature("whsec_attacker", now(), forgedEvent)));
        assertThat(forged.status()).as(forged.toString()).isEqualTo(401);
        assertThat(forged.json().path("id").asText()).isEqualTo("unauthorized");
        assertThat(forged.outcomeText()).isEqualTo("Unauthorized");
        assertThat(invoices(hook, "in_forged")).isEmpty();
        var audited = Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=signature-mismatch");
        assertThat(audited.path("entry")).hasSize(1);
        assertThat(audited.path("entry").path(0).path("resource").path("outcome").asText()).isEqualTo("4");
        assertThat(executions(hook)).as("no bot ran for the forged request").isEqualTo(2);
    }

    // --- what the bot receives ------------------------------------------------------------------------

    @Test
    void the_bot_gets_the_parsed_input_the_raw_body_the_trace_id_and_the_headers_without_credentials() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        String body = "{\n  \"id\": \"evt_echo\",\n  \"object\": \"event\"\n}";
        var reply = hook.post("application/json", utf8(body), Map.of(
                "Stripe-Signature", stripeSignature(Hooks.STRIPE_SECRET, now(), utf8(body)),
                "Authorization", "Bearer something-secret", "X-Trace-Id", "2f4c9a1e-0b6d-4f7e-9a3c-5d8e7f6a1b2c"));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var echoed = reply.json();
        assertThat(echoed.path("input").path("id").asText()).isEqualTo("evt_echo");
        assertThat(echoed.path("rawBody").asText()).isEqualTo(body);
        assertThat(echoed.path("contentType").asText()).isEqualTo("application/json");
        assertThat(echoed.path("traceId").asText()).isEqualTo("2f4c9a1e-0b6d-4f7e-9a3c-5d8e7f6a1b2c");
        assertThat(echoed.path("requester").isNull()).isTrue();
        assertThat(echoed.path("headers").has("stripe-signature")).isTrue();
        assertThat(echoed.path("headers").has("authorization")).isFalse();
    }

    @Test
    void without_verify_settings_any_request_runs_the_bot_as_in_medplum_and_get_passes_the_query() {
        var hook = deployed("{}", Map.of(), ECHO);
        var post = hook.post("{\"hello\":\"world\"}", Map.of());
        assertThat(post.status()).as(post.toString()).isEqualTo(200);
        assertThat(post.json().path("input").path("hello").asText()).isEqualTo("world");
        var get = hook.send("GET", hook.path() + "?a=1&b=x&b=y", null, null, Map.of());
        assertThat(get.status()).as(get.toString()).isEqualTo(200);
        assertThat(get.json().path("input").path("a").asText()).isEqualTo("1");
        assertThat(get.json().path("input").path("b").size()).isEqualTo(2);
    }

    @Test
    void a_failed_run_answers_400_with_a_fixed_text_never_the_log() {
        var hook = deployed("{}", Map.of(), """
                exports.handler = async () => { console.log('log-marker-xyzzy'); throw new Error('error-marker-plugh'); };
                """);
        var reply = hook.post("{}", Map.of());
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("Bot execution failed");
        assertThat(reply.body()).doesNotContain("xyzzy").doesNotContain("plugh");
    }

    @Test
    void a_retiring_secret_still_verifies_during_rotation() {
        var hook = deployed("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"NEW\"},{\"scheme\":\"stripe\",\"secret\":\"OLD\"}]}",
                Map.of("NEW", "whsec_new_one", "OLD", "whsec_old_one"), UPSERT_INVOICE);
        byte[] event = utf8(Hooks.invoicePaid("evt_rot", "in_rot"));
        for (String secret : new String[] {"whsec_new_one", "whsec_old_one"}) {
            var reply = hook.post("application/json", event, Map.of("Stripe-Signature", stripeSignature(secret, now(), event)));
            assertThat(reply.status()).as(secret + ": " + reply).isEqualTo(200);
        }
        var reply = hook.post("application/json", event, Map.of("Stripe-Signature",
                stripeSignature("whsec_third", now(), event)));
        assertThat(reply.status()).isEqualTo(401);
    }

    @Test
    void a_webhook_signed_with_a_new_secret_verifies_right_after_the_secret_changes() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", "whsec_before_change"), UPSERT_INVOICE);
        byte[] event = utf8(Hooks.invoicePaid("evt_change", "in_change"));
        var before = hook.post("application/json", event, Map.of("Stripe-Signature",
                stripeSignature("whsec_before_change", now(), event)));
        assertThat(before.status()).as(before.toString()).isEqualTo(200);

        Hooks.setSecrets(hook.project(), Map.of("STRIPE_WEBHOOK_SECRET", "whsec_after_change"));
        var after = hook.post("application/json", event, Map.of("Stripe-Signature",
                stripeSignature("whsec_after_change", now(), event)));
        assertThat(after.status()).as(after.toString()).isEqualTo(200);
        var old = hook.post("application/json", event, Map.of("Stripe-Signature",
                stripeSignature("whsec_before_change", now(), event)));
        assertThat(old.status()).as("the replaced secret no longer verifies").isEqualTo(401);
    }

    @Test
    void graph_notifications_with_the_client_state_reach_the_bot() {
        var hook = deployed("{\"verify\":[{\"scheme\":\"microsoft-graph\",\"secret\":\"GRAPH\"}]}",
                Map.of("GRAPH", "client-state-1"), ECHO);
        var reply = hook.post("{\"value\":[{\"subscriptionId\":\"s\",\"clientState\":\"client-state-1\","
                + "\"changeType\":\"created\"}]}", Map.of());
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("input").path("value").path(0).path("changeType").asText()).isEqualTo("created");
    }

    // --- bad inputs that get as far as the bot --------------------------------------------------------

    @Test
    void a_correctly_signed_body_with_a_bom_is_verified_on_its_bytes_and_parsed_without_the_bom() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        var bom = new ByteArrayOutputStream();
        bom.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        bom.writeBytes(utf8("{\"id\":\"evt_bom\"}"));
        byte[] body = bom.toByteArray();
        var reply = hook.post("application/json", body, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), body)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("input").path("id").asText()).isEqualTo("evt_bom");
    }

    @Test
    void a_correctly_signed_body_of_invalid_utf8_is_400_unparsable_and_audited() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        byte[] invalid = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}'};
        var reply = hook.post("application/json", invalid, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), invalid)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("Content could not be parsed");
        Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=unparsable-body");
    }

    @Test
    void a_correctly_signed_body_that_is_not_json_is_400_unparsable() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        byte[] truncated = utf8("{\"id\":\"evt_trunc\",\"data\":{");
        var reply = hook.post("application/json", truncated, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), truncated)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("Content could not be parsed");
    }

    @Test
    void a_correctly_signed_json_body_is_held_to_the_servers_json_rules_though_only_the_sandbox_parses_it() {
        // the server checks the body without building it; what JSON.parse would accept but the server's JSON refuses
        // (duplicate keys, a bare value, content after the value, a number beyond any decimal) still never runs
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        for (String body : List.of("{\"id\":\"a\",\"id\":\"b\"}", "{\"data\":{\"x\":1,\"x\":2}}", "\"evt\"", "42",
                "{\"id\":1} {\"id\":2}", "{\"amount\":1e99999999999}", "[" + "[".repeat(300) + "]".repeat(300) + "]")) {
            byte[] bytes = utf8(body);
            var reply = hook.post("application/json", bytes, Map.of("Stripe-Signature",
                    stripeSignature(Hooks.STRIPE_SECRET, now(), bytes)));
            assertThat(reply.status()).as(body + " " + reply).isEqualTo(400);
            assertThat(reply.outcomeText()).isEqualTo("Content could not be parsed");
        }
        byte[] fine = utf8("{\"id\":\"evt_ok\",\"data\":{\"object\":{\"amount_paid\":1.50,\"lines\":[1,2.5e3,null]}}}");
        var reply = hook.post("application/json", fine, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), fine)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("input").path("data").path("object").path("lines").size()).isEqualTo(3);
    }

    @Test
    void a_correctly_signed_form_body_with_bad_percent_encoding_is_400_unparsable_and_audited_as_a_refusal() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        byte[] form = utf8("a=%zz&b=1");
        var reply = hook.post("application/x-www-form-urlencoded", form, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), form)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        // the body's fault, said of the body (it read "Invalid query string" and counted as a failed bot run)
        assertThat(reply.outcomeText()).isEqualTo("Content could not be parsed");
        var refusal = Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=unparsable-body");
        assertThat(refusal.path("entry").path(0).path("resource").path("outcome").asText()).isEqualTo("4");
    }

    @Test
    void a_correctly_signed_json_body_in_another_charset_is_415_and_audited() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        byte[] body = utf8("{\"id\":\"evt_latin\"}");
        var reply = hook.post("application/json; charset=iso-8859-1", body, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), body)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(415);
        Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=unsupported-media-type");
    }

    @Test
    void a_correctly_signed_zero_byte_body_reaches_the_bot_as_an_empty_object() {
        var hook = deployed(STRIPE, Map.of("STRIPE_WEBHOOK_SECRET", Hooks.STRIPE_SECRET), ECHO);
        var reply = hook.post("application/json", new byte[0], Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), new byte[0])));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("input").isObject()).isTrue();
        assertThat(reply.json().path("input").size()).isZero();
    }

    // --- limits around a running bot ------------------------------------------------------------------

    @Test
    void the_concurrency_cap_holds_while_the_bot_runs() throws Exception {
        var hook = deployed("{\"maxConcurrency\":1}", Map.of(), """
                exports.handler = async (medplum, event) => {
                  if (event.input.slow) await new Promise((resolve) => setTimeout(resolve, 2500));
                  return { ok: true };
                };
                """);
        var slowReply = new java.util.concurrent.atomic.AtomicReference<Api.Reply>();
        var slow = Thread.ofVirtual().start(() -> slowReply.set(hook.post("{\"slow\":true}", Map.of())));
        Thread.sleep(500); // the slow run takes the only slot first; it then holds it for 2.5 s
        Api.Reply refused = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < deadline && slowReply.get() == null) {
            var reply = hook.post("{}", Map.of());
            if (reply.status() == 429) {
                refused = reply;
                break;
            }
            Thread.sleep(20);
        }
        assertThat(refused).as("a request while the slow run holds the only slot").isNotNull();
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.errorCode()).isEqualTo("webhook.concurrency-limited");
        slow.join(30_000);
        assertThat(slowReply.get().status()).as(String.valueOf(slowReply.get())).isEqualTo(200);
        assertThat(hook.post("{}", Map.of()).status()).isEqualTo(200);
    }
}
