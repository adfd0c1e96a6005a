package dev.fhirhook.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The seed's flow under load: a Stripe-signed {@code invoice.paid} event POSTed to {@code /webhook/{membership}},
 * verified by the server ({@code stripe} preset), then run by a deployed bot that upserts the Invoice by its
 * Stripe id (a conditional update). Every request is a distinct event for a distinct invoice, so every upsert
 * creates. The update variant sends {@code invoice.paid} events for invoices that exist, as most of a provider's
 * events are (Stripe sends {@code invoice.created}, {@code invoice.finalized}, then {@code invoice.paid} for each),
 * so every upsert finds its Invoice and writes a new version of it. The forged variant sends the creating events
 * signed with a wrong secret: the server must refuse each with 401 before any bot runs.
 *
 * <p>{@link #setUp} creates, with the admin client, a Project with the signing secret, an AccessPolicy limited
 * to Invoice, the Bot ({@code publicWebhook}, {@code webhook.verify}) and its ProjectMembership, and deploys the
 * bot's code with {@code $deploy}.
 */
final class WebhookScenario {
    static final String SECRET = "whsec_bench_" + Long.toHexString(System.nanoTime());

    static final String BOT_CODE = """
            exports.handler = async (medplum, event) => {
              const invoice = event.input.data.object;
              const system = 'https://stripe.com/invoice/id';
              const saved = await medplum.upsertResource({
                resourceType: 'Invoice',
                identifier: [{ system, value: invoice.id }],
                status: invoice.status === 'paid' ? 'balanced' : 'issued',
                totalNet: { value: invoice.amount_paid / 100, currency: invoice.currency.toUpperCase() },
              }, 'identifier=' + system + '|' + invoice.id);
              return { received: event.input.id, invoice: saved.id };
            };
            """;

    private WebhookScenario() {}

    /** The webhook paths of the set-up: the bot, and an identical one that writes no AuditEvent for a successful run. */
    record Paths(String bot, String quietBot) {}

    /**
     * Creates the project, the bots and their memberships.
     *
     * @param deploy whether the bots' code must be deployed (forged requests never reach it)
     */
    static Paths setUp(Target target, boolean deploy) throws IOException {
        return new Paths(setUp(target, deploy, ""), deploy ? setUp(target, true, ",\"auditEventTrigger\":\"on-error\"") : null);
    }

    private static String setUp(Target target, boolean deploy, String botFields) throws IOException {
        try (var admin = target.open(true)) {
            String project = Bots.create(admin, target, "Project", "{\"resourceType\":\"Project\",\"name\":\"webhook bench\","
                    + "\"features\":[\"bots\"],\"secret\":[{\"name\":\"STRIPE_WEBHOOK_SECRET\",\"valueString\":\"" + SECRET
                    + "\"}]}");
            String meta = "\"meta\":{\"project\":\"" + project + "\"},";
            String policy = Bots.create(admin, target, "AccessPolicy", "{\"resourceType\":\"AccessPolicy\"," + meta
                    + "\"name\":\"stripe bot\",\"resource\":[{\"resourceType\":\"Invoice\"}]}");
            String bot = Bots.create(admin, target, "Bot", "{\"resourceType\":\"Bot\"," + meta + "\"name\":\"stripe invoices\","
                    + "\"runtimeVersion\":\"vmcontext\",\"publicWebhook\":true,\"webhook\":{\"verify\":[{\"scheme\":"
                    + "\"stripe\",\"secret\":\"STRIPE_WEBHOOK_SECRET\"}]}" + botFields + "}");
            String membership = Bots.create(admin, target, "ProjectMembership", "{\"resourceType\":\"ProjectMembership\","
                    + meta + "\"project\":{\"reference\":\"Project/" + project + "\"},\"user\":{\"reference\":\"Bot/" + bot
                    + "\"},\"profile\":{\"reference\":\"Bot/" + bot + "\"},\"accessPolicy\":{\"reference\":\"AccessPolicy/"
                    + policy + "\"}}");
            if (!deploy) return target.path("webhook/" + membership);
            // deployed by a client of the bot's own project: the code's Binary must live in that project
            String clientSecret = "bench-deployer-" + Long.toHexString(System.nanoTime());
            String client = Bots.create(admin, target, "ClientApplication", "{\"resourceType\":\"ClientApplication\"," + meta
                    + "\"name\":\"webhook bench deployer\",\"status\":\"active\",\"secret\":\"" + clientSecret + "\"}");
            Bots.create(admin, target, "ProjectMembership", "{\"resourceType\":\"ProjectMembership\"," + meta
                    + "\"project\":{\"reference\":\"Project/" + project + "\"},\"user\":{\"reference\":"
                    + "\"ClientApplication/" + client + "\"},\"profile\":{\"reference\":\"ClientApplication/" + client
                    + "\"},\"admin\":true}");
            try (var deployer = Target.of("http://127.0.0.1:" + target.port() + target.basePath(), client, clientSecret)
                    .open(true)) {
                String code = "{\"code\":" + Bots.quote(BOT_CODE) + ",\"filename\":\"index.js\"}";
                var deployed = deployer.send("POST", target.path("fhir/R4/Bot/" + bot + "/$deploy"), "application/json",
                        code.getBytes(StandardCharsets.UTF_8));
                if (deployed.status() != 200) {
                    throw new IllegalStateException("webhook set-up: $deploy answered " + deployed.status() + ": "
                            + deployer.bodyText());
                }
            }
            return target.path("webhook/" + membership);
        }
    }

    /** Events sent to each bot before the measured rows (then ANALYZE); see {@link #prime}. */
    static final int PRIMING = 1_000;

    /**
     * Sends {@code count} signed events to each bot, one after the other, before the bench ANALYZEs. A server that
     * takes webhooks has Invoices and AuditEvents; measured from an empty database, the upsert's conditional search
     * would be planned on empty-table statistics (walking every Invoice of the project for each event) until
     * autovacuum analyzes, so the rows would measure the first minute of a fresh database instead.
     */
    static void prime(Target target, Paths paths, int count) throws IOException {
        System.err.printf("bench: priming the webhook bots with %d events each...%n", count);
        try (var connection = target.open(false)) {
            for (String path : new String[] {paths.bot(), paths.quietBot()}) {
                for (int i = 0; i < count; i++) {
                    byte[] body = event("prime_" + System.nanoTime() + "_" + i).getBytes(StandardCharsets.UTF_8);
                    var response = connection.send("POST", path, "application/json", body,
                            "Stripe-Signature: " + stripeSignature(SECRET, Instant.now().getEpochSecond(), body));
                    if (response.status() != 200) {
                        throw new IllegalStateException("webhook priming: " + path + " answered " + response.status()
                                + ": " + connection.bodyText());
                    }
                }
            }
        }
    }

    /** Signed events to the bot: 200 each, an Invoice upserted each. */
    static HttpScenario signed(Target target, String path) {
        return scenario("webhook", target, path, SECRET, 200);
    }

    /** Signed events to the bot with {@code auditEventTrigger: on-error}: what the per-run AuditEvent costs. */
    static HttpScenario signedQuiet(Target target, String path) {
        return scenario("webhook-quiet", target, path, SECRET, 200);
    }

    /** Invoices per worker that the update row cycles through: few enough that each is updated many times a row. */
    static final int UPDATED_PER_WORKER = 16;

    /**
     * Signed {@code invoice.paid} events to the bot for invoices it created before the row: 200 each, each a new
     * version of an existing Invoice. Worker {@code w} updates its own {@link #UPDATED_PER_WORKER} invoices in turn,
     * so workers never wait on each other's criteria lock, and each event pays a different amount, so that no update
     * is a no-op (the server keeps the current version when the content is the same). Creates the invoices first,
     * one event each over one connection, for {@code concurrency} workers.
     */
    static HttpScenario updates(Target target, String path, int concurrency) throws IOException {
        String run = Long.toString(System.nanoTime());
        try (var connection = target.open(false)) {
            for (int w = 0; w < concurrency; w++) {
                for (int k = 0; k < UPDATED_PER_WORKER; k++) {
                    byte[] body = event("created_" + run + "_" + w + "_" + k, updatedInvoice(run, w, k), "invoice.created",
                            "open", 0).getBytes(StandardCharsets.UTF_8);
                    var response = connection.send("POST", path, "application/json", body,
                            "Stripe-Signature: " + stripeSignature(SECRET, Instant.now().getEpochSecond(), body));
                    if (response.status() != 200) {
                        throw new IllegalStateException("webhook-update set-up: " + path + " answered " + response.status()
                                + ": " + connection.bodyText());
                    }
                }
            }
        }
        return new HttpScenario("webhook-update", target, false, 200, (w, c, i) -> {
            byte[] body = event("paid_" + run + "_" + w + "_" + i, updatedInvoice(run, w, (int) (i % UPDATED_PER_WORKER)),
                    "invoice.paid", "paid", 100 + i).getBytes(StandardCharsets.UTF_8);
            String signature = stripeSignature(SECRET, Instant.now().getEpochSecond(), body);
            return new HttpScenario.Request("POST", path, "application/json", body, "Stripe-Signature: " + signature);
        });
    }

    private static String updatedInvoice(String run, int worker, int k) {
        return "in_upd_" + run + "_" + worker + "_" + k;
    }

    /** The same events signed with another secret: 401 each, no bot run. */
    static HttpScenario forged(Target target, String path) {
        return scenario("webhook-forged", target, path, "whsec_forged_" + Long.toHexString(System.nanoTime()), 401);
    }

    private static HttpScenario scenario(String name, Target target, String path, String secret, int expected) {
        long run = System.nanoTime();
        return new HttpScenario(name, target, false, expected, (w, c, i) -> {
            String id = run + "_" + w + "_" + i;
            byte[] body = event(id).getBytes(StandardCharsets.UTF_8);
            String signature = stripeSignature(secret, Instant.now().getEpochSecond(), body);
            return new HttpScenario.Request("POST", path, "application/json", body, "Stripe-Signature: " + signature);
        });
    }

    /** A Stripe {@code invoice.paid} event of about 1 KB for invoice {@code in_<id>}, as Stripe sends it (trimmed). */
    static String event(String id) {
        return event(id, "in_" + id, "invoice.paid", "paid", 4200);
    }

    /** An invoice event of about 1 KB, as Stripe sends it (trimmed). */
    static String event(String id, String invoiceId, String type, String status, long amountPaid) {
        return "{\"id\":\"evt_" + id + "\",\"object\":\"event\",\"api_version\":\"2024-06-20\",\"created\":1714000000,"
                + "\"type\":\"" + type + "\",\"livemode\":false,\"pending_webhooks\":1,\"request\":{\"id\":null,"
                + "\"idempotency_key\":null},\"data\":{\"object\":{\"id\":\"" + invoiceId + "\",\"object\":\"invoice\","
                + "\"account_country\":\"US\",\"account_name\":\"fhirhook bench\",\"amount_due\":4200,"
                + "\"amount_paid\":" + amountPaid + ",\"amount_remaining\":0,\"attempt_count\":1,\"attempted\":true,"
                + "\"billing_reason\":\"subscription_cycle\",\"collection_method\":\"charge_automatically\","
                + "\"currency\":\"usd\",\"customer\":\"cus_bench\",\"customer_email\":\"patient@example.org\","
                + "\"hosted_invoice_url\":\"https://invoice.stripe.com/i/acct_bench/test\",\"lines\":{\"object\":\"list\","
                + "\"data\":[{\"id\":\"il_" + id + "\",\"object\":\"line_item\",\"amount\":4200,\"currency\":\"usd\","
                + "\"description\":\"1 x Telehealth visit (at $42.00 / month)\",\"quantity\":1}],\"has_more\":false,"
                + "\"total_count\":1},\"number\":\"BENCH-0001\",\"paid\":true,\"period_end\":1714000000,"
                + "\"period_start\":1711408000,\"status\":\"" + status + "\",\"subtotal\":4200,\"total\":4200}}}";
    }

    static String stripeSignature(String secret, long t, byte[] body) {
        try {
            var mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
            return "t=" + t + ",v1=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
