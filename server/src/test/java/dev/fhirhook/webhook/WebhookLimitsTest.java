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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The limits of the chain through HTTP: the Bot's {@code allowedIps} (CIDR v4/v6, behind a trusted proxy), the
 * membership's {@code ipAccessRule}, the per-bot token bucket on a manual clock, and the concurrency cap. A second
 * server on the same database trusts 127.0.0.1 as a proxy, so {@code X-Forwarded-For} names the client there.
 * Requests that pass every limit meet the Bot's {@code stripe} check: unsigned, they answer 401.
 */
class WebhookLimitsTest {
    private static final ManualClock CLOCK = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
    private static Fhirhook proxied;

    @BeforeAll
    static void start() {
        var shared = TestServer.get().server().database();
        proxied = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-webhook-limits-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres", "trusted-proxies", "127.0.0.1")), CLOCK);
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

    /** A request whose body is still on its way: it holds a slot of the bot's cap until {@link #finish}. */
    private static final class SlowRequest implements AutoCloseable {
        private final Socket socket;
        private final OutputStream out;

        SlowRequest(Fhirhook server, String path) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 16\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            try {
                Thread.sleep(20); // the start of the body as a read of its own: Jetty dispatches once content arrives
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write("{\"id\":".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        /**
         * Whether the server has already answered (a refusal: it never got a slot). Waits a moment, since a request
         * that got its slot never answers before {@link #finish}.
         */
        boolean answered() throws IOException {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return socket.getInputStream().available() > 0;
        }

        String finish() throws IOException {
            out.write("\"evt_9\"}  ".getBytes(StandardCharsets.US_ASCII));
            out.flush();
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

    /** A slow request that holds a slot: one that was itself refused (it raced with another request) is replaced. */
    private static SlowRequest holding(Hooks.Hook hook) throws IOException {
        for (int attempt = 0; attempt < 10; attempt++) {
            var slow = new SlowRequest(proxied, hook.path());
            if (!slow.answered()) return slow;
            slow.close();
        }
        throw new AssertionError("no slow request got a slot");
    }

    /** Sends requests until one is refused by the cap (the slow one may take a moment to get its slot). */
    private static Api.Reply untilBusy(Hooks.Hook hook) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            var reply = from(hook, null);
            if (reply.status() != 401 || System.nanoTime() > deadline) return reply;
            Thread.sleep(20);
        }
    }

    @Test
    void the_concurrency_cap_refuses_the_request_over_it_with_429_and_retry_after() throws Exception {
        var hook = hook(",\"maxConcurrency\":1");
        try (var slow = holding(hook)) {
            var refused = untilBusy(hook);
            assertThrottled(refused, "1");
            assertThat(refused.errorCode()).isEqualTo("webhook.concurrency-limited");
            assertThat(slow.finish()).isEqualTo("HTTP/1.1 401");
        }
        assertPassed(from(hook, null)); // the slot is free again
    }

    @Test
    void the_cap_counts_requests_in_flight() throws Exception {
        var hook = hook(",\"maxConcurrency\":2");
        try (var first = holding(hook); var second = holding(hook)) {
            assertThrottled(untilBusy(hook), "1"); // both slots taken
            assertThat(second.finish()).isEqualTo("HTTP/1.1 401");
            assertPassed(from(hook, null)); // one slot free again
            assertThat(first.finish()).isEqualTo("HTTP/1.1 401");
        }
        assertPassed(from(hook, null));
    }

    @Test
    void a_bot_without_a_cap_takes_requests_in_parallel() throws Exception {
        var hook = hook("");
        try (var slow = new SlowRequest(proxied, hook.path())) {
            Thread.sleep(100);
            for (int i = 0; i < 5; i++) assertPassed(from(hook, null));
            assertThat(slow.finish()).isEqualTo("HTTP/1.1 401");
        }
    }
}
