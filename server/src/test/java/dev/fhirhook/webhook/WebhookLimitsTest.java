package dev.fhirhook.webhook;

import static dev.fhirhook.webhook.Hooks.assertOutcome;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The limits of the chain through HTTP: the Bot's {@code allowedIps} (CIDR v4/v6, behind a trusted proxy), the
 * membership's {@code ipAccessRule}, the per-bot token bucket on a manual clock, the concurrency cap, and bodies
 * that take their time. A second server on the same database trusts 127.0.0.1 as a proxy, so {@code X-Forwarded-For}
 * names the client there. Requests that pass every limit meet the Bot's {@code stripe} check: unsigned, they answer
 * 401; signed, the bot runs.
 */
class WebhookLimitsTest {
    private static final int BODY_READ_TIMEOUT = 2;
    private static final ManualClock CLOCK = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
    private static Fhirhook proxied;

    @BeforeAll
    static void start() {
        var shared = TestServer.get().server().database();
        proxied = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-webhook-limits-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres", "trusted-proxies", "127.0.0.1",
                "body-read-timeout", Integer.toString(BODY_READ_TIMEOUT))), CLOCK);
    }

    @AfterAll
    static void stop() {
        if (proxied != null) proxied.close();
    }

    private static Hooks.Hook hook(String extra) {
        return Hooks.create(proxied.baseUrl(), TestServer.get().newProject(),
                "{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}]" + extra + "}",
                Map.of("STRIPE", Hooks.STRIPE_SECRET), true);
    }

    private static Api.Reply from(Hooks.Hook hook, String address) {
        return hook.post("{}", address == null ? Map.of() : Map.of("X-Forwarded-For", address));
    }

    private static void assertPassed(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(401);
        assertThat(reply.errorCode()).isEqualTo("webhook.signature-missing");
    }

    private static void assertIpBlocked(Api.Reply reply) {
        assertOutcome(reply, 403, "forbidden", "IP address not allowed");
        assertThat(reply.errorCode()).isEqualTo("webhook.ip-blocked");
    }

    private static void assertThrottled(Api.Reply reply, String retryAfter) {
        assertOutcome(reply, 429, "too-many-requests", "Too Many Requests");
        assertThat(reply.json().path("issue").path(0).path("code").asText()).isEqualTo("throttled");
        assertThat(reply.header("Retry-After")).isEqualTo(retryAfter);
    }

    // --- allowedIps ---------------------------------------------------------------------------------------

    @Test
    void allowed_ips_let_listed_ipv4_networks_in_and_refuse_every_other_address() {
        var hook = hook(",\"allowedIps\":[\"3.18.12.63/32\",\"203.0.113.0/24\"]");
        assertPassed(from(hook, "3.18.12.63"));
        assertPassed(from(hook, "203.0.113.200"));
        assertPassed(from(hook, "::ffff:203.0.113.7")); // IPv4-mapped IPv6 is judged as IPv4
        assertIpBlocked(from(hook, "3.18.12.64"));
        assertIpBlocked(from(hook, "203.0.114.1"));
        assertIpBlocked(from(hook, null)); // the proxy itself, 127.0.0.1
    }

    @Test
    void allowed_ips_match_ipv6_networks() {
        var hook = hook(",\"allowedIps\":[\"2600:1f16::/32\"]");
        assertPassed(from(hook, "2600:1f16::1"));
        assertPassed(from(hook, "2600:1f16:ffff:ffff:ffff:ffff:ffff:ffff"));
        assertPassed(from(hook, "2600:1F16:0:0:0:0:0:abcd"));
        assertIpBlocked(from(hook, "2600:1f17::1"));
        assertIpBlocked(from(hook, "3.18.12.63"));
    }

    @Test
    void the_nearest_untrusted_hop_of_x_forwarded_for_is_the_client() {
        var hook = hook(",\"allowedIps\":[\"203.0.113.0/24\"]");
        assertPassed(from(hook, "198.51.100.9, 203.0.113.5"));
        assertIpBlocked(from(hook, "203.0.113.5, 198.51.100.9"));
        assertPassed(from(hook, "198.51.100.9, 203.0.113.5, 127.0.0.1")); // trusted hops are skipped
    }

    @Test
    void x_forwarded_for_from_an_untrusted_peer_is_ignored() {
        // the shared server trusts no proxy: the peer, 127.0.0.1, is the client whatever the header says
        var hook = Hooks.create("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}],"
                + "\"allowedIps\":[\"203.0.113.0/24\"]}", Map.of("STRIPE", Hooks.STRIPE_SECRET));
        assertIpBlocked(from(hook, "203.0.113.5"));
        var loopback = Hooks.create("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}],"
                + "\"allowedIps\":[\"127.0.0.1\",\"::1\"]}", Map.of("STRIPE", Hooks.STRIPE_SECRET));
        assertPassed(from(loopback, "203.0.113.5"));
    }

    @Test
    void no_allowed_ips_means_any_address() {
        var hook = hook("");
        assertPassed(from(hook, "198.51.100.1"));
        assertPassed(from(hook, "2001:db8::1"));
    }

    // --- the membership's ipAccessRule --------------------------------------------------------------------

    @Test
    void the_membership_policys_ip_access_rules_apply_too() {
        var hook = hook("");
        var reply = hook.admin().patch("/fhir/R4/AccessPolicy/" + hook.policyId(), """
                [{"op":"add","path":"/ipAccessRule","value":[
                  {"name":"partner","value":"198.51.100.0/24","action":"allow"},
                  {"name":"v6 partner","value":"2001:db8:1::/48","action":"allow"},
                  {"name":"everyone else","value":"*","action":"block"}]}]""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        // no request has reached the proxied server yet, so it reads the policy as it is now
        var fresh = hook;
        assertPassed(from(fresh, "198.51.100.77"));
        assertPassed(from(fresh, "2001:db8:1:2::3"));
        assertIpBlocked(from(fresh, "203.0.113.1"));
        assertIpBlocked(from(fresh, "2001:db8:2::1"));
    }

    @Test
    void both_lists_must_let_the_address_in() {
        var hook = hook(",\"allowedIps\":[\"198.51.100.0/24\"]");
        var reply = hook.admin().patch("/fhir/R4/AccessPolicy/" + hook.policyId(), """
                [{"op":"add","path":"/ipAccessRule","value":[{"name":"bad host","value":"198.51.100.66","action":"block"}]}]""");
        assertThat(reply.status()).isEqualTo(200);
        var fresh = hook;
        assertPassed(from(fresh, "198.51.100.65"));
        assertIpBlocked(from(fresh, "198.51.100.66"));
        assertIpBlocked(from(fresh, "203.0.113.1"));
    }

    // --- the token bucket ---------------------------------------------------------------------------------

    @Test
    void the_bots_bucket_allows_its_burst_then_429_with_retry_after_until_it_refills() {
        var hook = hook(",\"rateLimit\":{\"perMinute\":60,\"burst\":3}");
        var other = hook(",\"rateLimit\":{\"perMinute\":60,\"burst\":3}");
        for (int i = 0; i < 3; i++) assertPassed(from(hook, null));
        assertThrottled(from(hook, null), "1");
        assertThrottled(from(hook, "198.51.100.1"), "1"); // per bot, whatever the address
        assertPassed(from(other, null)); // each bot has its own bucket
        CLOCK.advance(Duration.ofSeconds(1));
        assertPassed(from(hook, null));
        assertThrottled(from(hook, null), "1");
        CLOCK.advance(Duration.ofSeconds(3));
        for (int i = 0; i < 3; i++) assertPassed(from(hook, null));
        assertThrottled(from(hook, null), "1");
    }

    @Test
    void a_slow_bucket_names_the_wait_in_whole_seconds() {
        var hook = hook(",\"rateLimit\":{\"perMinute\":1}");
        assertPassed(from(hook, null));
        assertThrottled(from(hook, null), "60");
        CLOCK.advance(Duration.ofSeconds(45));
        assertThrottled(from(hook, null), "15");
        CLOCK.advance(Duration.ofSeconds(15));
        assertPassed(from(hook, null));
    }

    @Test
    void a_blocked_address_does_not_use_up_the_bucket() {
        var hook = hook(",\"allowedIps\":[\"198.51.100.0/24\"],\"rateLimit\":{\"perMinute\":1}");
        for (int i = 0; i < 5; i++) assertIpBlocked(from(hook, "203.0.113.1"));
        assertPassed(from(hook, "198.51.100.1"));
    }

    // --- the concurrency cap ------------------------------------------------------------------------------

    /** Waits in its run until an Invoice with the event's {@code release} value exists; returns at once without. */
    private static final String HOLDING_BOT = """
            exports.handler = async (medplum, event) => {
              const key = event.input.release;
              if (key) while (!(await medplum.searchOne('Invoice', 'identifier=' + key))) {}
              return 'done';
            };
            """;

    private static Hooks.Hook capped(String extra) {
        return hook(extra).deploy(HOLDING_BOT);
    }

    /** A correctly signed delivery at the manual clock's time. */
    private static Api.Reply signed(Hooks.Hook hook, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return hook.post("application/json", body, Map.of("Stripe-Signature",
                Hooks.stripeSignature(Hooks.STRIPE_SECRET, CLOCK.instant().getEpochSecond(), body)));
    }

    private static void assertRan(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    /** A verified delivery whose run waits until {@link #release}: it holds a slot of the bot's cap until then. */
    private static final class HeldRun implements AutoCloseable {
        private final Hooks.Hook hook;
        private final String key = "hold-" + java.util.UUID.randomUUID();
        private final CompletableFuture<Api.Reply> reply;
        private boolean released;

        HeldRun(Hooks.Hook hook) {
            this.hook = hook;
            reply = CompletableFuture.supplyAsync(() -> signed(hook, "{\"release\":\"" + key + "\"}"),
                    task -> Thread.ofVirtual().start(task));
        }

        Api.Reply release() throws Exception {
            if (!released) {
                released = true;
                var invoice = hook.project().api().post("/fhir/R4/Invoice", """
                        {"resourceType":"Invoice","status":"draft","identifier":[{"value":"%s"}]}""".formatted(key));
                assertThat(invoice.status()).as(invoice.toString()).isEqualTo(201);
            }
            return reply.get(20, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws Exception {
            release();
        }
    }

    /** A held run that got its slot: one refused by the cap (it raced with another request) is replaced. */
    private static HeldRun holding(Hooks.Hook hook) throws Exception {
        for (int attempt = 0; attempt < 10; attempt++) {
            var held = new HeldRun(hook);
            Thread.sleep(300); // a run that got its slot never answers before its release
            if (!held.reply.isDone()) return held;
            assertThrottled(held.reply.get(), "1");
        }
        throw new AssertionError("no held run got a slot");
    }

    /** Sends quick signed deliveries until one is refused by the cap (the held run may take a moment to start). */
    private static Api.Reply untilBusy(Hooks.Hook hook) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            var reply = signed(hook, "{}");
            if (reply.status() != 200 || System.nanoTime() > deadline) return reply;
            Thread.sleep(20);
        }
    }

    @Test
    void the_concurrency_cap_refuses_the_run_over_it_with_429_and_retry_after() throws Exception {
        var hook = capped(",\"maxConcurrency\":1");
        try (var held = holding(hook)) {
            var refused = untilBusy(hook);
            assertThrottled(refused, "1");
            assertThat(refused.errorCode()).isEqualTo("webhook.concurrency-limited");
            assertRan(held.release());
        }
        assertRan(signed(hook, "{}")); // the slot is free again
    }

    @Test
    void the_cap_counts_runs_in_flight() throws Exception {
        var hook = capped(",\"maxConcurrency\":2");
        try (var first = holding(hook); var second = holding(hook)) {
            assertThrottled(untilBusy(hook), "1"); // both slots taken
            assertRan(second.release());
            assertRan(signed(hook, "{}")); // one slot free again
            assertRan(first.release());
        }
        assertRan(signed(hook, "{}"));
    }

    @Test
    void a_bot_without_a_cap_takes_requests_in_parallel() throws Exception {
        var hook = capped("");
        try (var held = holding(hook)) {
            Thread.sleep(100);
            for (int i = 0; i < 5; i++) assertRan(signed(hook, "{}"));
            assertRan(held.release());
        }
    }

    @Test
    void a_request_that_fails_its_signature_check_is_401_even_when_every_slot_is_taken() throws Exception {
        // the cap counts verified runs: forged requests cannot take slots from real deliveries, nor learn the load
        var hook = capped(",\"maxConcurrency\":1");
        try (var held = holding(hook)) {
            assertThrottled(untilBusy(hook), "1");
            assertPassed(from(hook, null));
            var forged = hook.post("{}", Map.of("Stripe-Signature", "t=" + CLOCK.instant().getEpochSecond() + ",v1=00"));
            assertThat(forged.status()).as(forged.toString()).isEqualTo(401);
            assertThat(forged.errorCode()).isEqualTo("webhook.signature-mismatch");
            assertRan(held.release());
        }
    }

    // --- bodies that take their time ---------------------------------------------------------------------

    /** A request whose body is still on its way until {@link #finish}. */
    private static final class SlowRequest implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;

        SlowRequest(Fhirhook server, String path) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
            socket.setSoTimeout(15_000);
            out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 16\r\n\r\n{\"id\":").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /** The status line of the answer, once the rest of the body is sent ({@code null}: sends nothing more). */
        String finish(String rest) throws IOException {
            if (rest != null) {
                out.write(rest.getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
            InputStream in = socket.getInputStream();
            var head = new StringBuilder();
            int c;
            while ((c = in.read()) >= 0 && head.length() < 12) head.append((char) c);
            return head.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    void a_client_still_sending_its_body_holds_no_slot_of_the_cap() throws Exception {
        var hook = capped(",\"maxConcurrency\":1");
        try (var slow = new SlowRequest(proxied, hook.path())) {
            Thread.sleep(200); // the server is reading its body now
            for (int i = 0; i < 3; i++) assertRan(signed(hook, "{}"));
            assertThat(slow.finish("\"evt_9\"}  ")).isEqualTo("HTTP/1.1 401"); // unsigned
        }
    }

    @Test
    void a_body_that_does_not_arrive_within_the_body_read_timeout_is_408_and_audited_as_unparsable() throws Exception {
        var hook = capped(",\"maxConcurrency\":1");
        long start = System.nanoTime();
        try (var slow = new SlowRequest(proxied, hook.path())) {
            assertThat(slow.finish(null)).isEqualTo("HTTP/1.1 408");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofSeconds(BODY_READ_TIMEOUT)
                .minusMillis(200), Duration.ofSeconds(BODY_READ_TIMEOUT + 5));
        var events = Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=unparsable-body");
        var event = events.path("entry").path(0).path("resource");
        assertThat(event.path("outcome").asText()).as(events.toString()).isEqualTo("4");
        assertThat(event.path("outcomeDesc").asText()).as(events.toString()).contains("body-read-timeout");
        assertRan(signed(hook, "{}"));
    }
}
