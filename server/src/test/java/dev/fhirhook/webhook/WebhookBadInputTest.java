package dev.fhirhook.webhook;

import static dev.fhirhook.webhook.Hooks.stripeSignature;
import static dev.fhirhook.webhook.Hooks.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input of issue #6 at a Stripe-verified bot: each gets a clear 4xx (401 {@code webhook.<reason>} for
 * signatures, 413 for bodies, 414/431/400 for what Jetty or the query parser refuse first), the bot never runs,
 * and the server stays healthy ({@link #the_server_is_still_healthy}).
 */
class WebhookBadInputTest {
    private static final String BODY = Hooks.invoicePaid("evt_bad_1", "in_bad_1");
    private static final byte[] BODY_BYTES = utf8(BODY);
    private static Hooks.Hook stripe;
    private static Hooks.Hook small;

    @BeforeAll
    static void hooks() {
        stripe = Hooks.create("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}]}",
                Map.of("STRIPE", Hooks.STRIPE_SECRET));
        small = Hooks.create("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}],\"maxBodyBytes\":1024}",
                Map.of("STRIPE", Hooks.STRIPE_SECRET));
    }

    @AfterEach
    void the_server_is_still_healthy() {
        var health = TestServer.get().anonymous().get("/healthcheck");
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json().path("ok").asBoolean()).isTrue();
    }

    private static long now() {
        return Instant.now().getEpochSecond();
    }

    private static Api.Reply signed(String signature) {
        return stripe.post("application/json", BODY_BYTES, Map.of("Stripe-Signature", signature));
    }

    private static void assertRefused(Api.Reply reply, String reason) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(401);
        assertThat(reply.json().path("id").asText()).isEqualTo("unauthorized");
        assertThat(reply.errorCode()).isEqualTo("webhook." + reason);
    }

    // --- signature headers ----------------------------------------------------------------------------

    @Test
    void an_empty_signature_header_is_signature_missing() throws IOException {
        assertRefused(signed(""), "signature-missing");
        assertRefused(signed("   "), "signature-missing");
        var raw = raw(post(stripe.path(), "Stripe-Signature:\r\n", BODY_BYTES));
        assertThat(raw.status()).isEqualTo(401);
        assertThat(raw.body()).contains("webhook.signature-missing");
    }

    @Test
    void a_truncated_signature_is_refused() {
        String full = stripeSignature(Hooks.STRIPE_SECRET, now(), BODY_BYTES);
        assertRefused(signed(full.substring(0, full.length() - 1)), "signature-malformed"); // odd number of hex digits
        assertRefused(signed(full.substring(0, full.length() - 2)), "signature-mismatch");
        assertRefused(signed(full.substring(0, full.indexOf(",v1="))), "signature-malformed");
        assertRefused(signed(full.substring(0, 5)), "signature-malformed");
    }

    @ParameterizedTest
    @ValueSource(strings = {"v0=", "v2=", "V1=", "sha256=", "v1:", ""})
    void a_wrong_prefix_is_refused(String prefix) {
        String hex = Hooks.hex(Hooks.hmac("HmacSHA256", utf8(Hooks.STRIPE_SECRET), utf8(now() + "."), BODY_BYTES));
        assertRefused(signed("t=" + now() + "," + prefix + hex), "signature-malformed");
    }

    @Test
    void a_wrong_prefix_on_github_is_refused() {
        var github = Hooks.create("{\"verify\":[{\"scheme\":\"github\",\"secret\":\"GH\"}]}", Map.of("GH", "gh-secret"));
        String hex = Hooks.hex(Hooks.hmac("HmacSHA256", utf8("gh-secret"), BODY_BYTES));
        assertRefused(github.post(BODY, Map.of("X-Hub-Signature-256", "sha1=" + hex)), "signature-malformed");
        assertRefused(github.post(BODY, Map.of("X-Hub-Signature-256", hex)), "signature-malformed");
        assertRefused(github.post(BODY, Map.of("X-Hub-Signature-256", "sha256=" + hex.toUpperCase() + "0")),
                "signature-malformed");
    }

    @Test
    void non_hex_and_non_base64_signatures_are_refused() throws IOException {
        assertRefused(signed("t=" + now() + ",v1=" + "zz".repeat(32)), "signature-malformed");
        var fullwidth = raw(post(stripe.path(), "Stripe-Signature: t=" + now() + ",v1=" + "\uff10".repeat(64) + "\r\n",
                BODY_BYTES, StandardCharsets.UTF_8)); // fullwidth digits, sent as UTF-8 bytes
        assertThat(fullwidth.status()).isEqualTo(401);
        assertThat(fullwidth.body()).contains("webhook.signature-malformed");
        var shopify = Hooks.create("{\"verify\":[{\"scheme\":\"shopify\",\"secret\":\"SH\"}]}", Map.of("SH", "hush"));
        assertRefused(shopify.post("{\"id\":1}", Map.of("X-Shopify-Hmac-Sha256", "not base64!")), "signature-malformed");
        assertRefused(shopify.post("{\"id\":1}", Map.of("X-Shopify-Hmac-Sha256", "VnKUjZsLuN5iZWjn5EntcBVCF9kMN43LglzCE1")),
                "signature-mismatch"); // truncated: decodes, but to no digest of the body
    }

    @Test
    void several_signature_headers_are_refused() throws IOException {
        String good = stripeSignature(Hooks.STRIPE_SECRET, now(), BODY_BYTES);
        String other = stripeSignature("whsec_other", now(), BODY_BYTES);
        var raw = raw(post(stripe.path(), "Stripe-Signature: " + other + "\r\nStripe-Signature: " + good + "\r\n",
                BODY_BYTES));
        assertThat(raw.status()).isEqualTo(401);
        assertThat(raw.body()).contains("webhook.signature-malformed");
    }

    @Test
    void many_v1_values_in_one_header_are_checked_and_an_overlong_header_is_malformed() {
        String hex = Hooks.hex(Hooks.hmac("HmacSHA256", utf8("whsec_other"), utf8(now() + "."), BODY_BYTES));
        var many = "t=" + now() + IntStream.range(0, 100).mapToObj(i -> ",v1=" + hex).collect(Collectors.joining());
        assertRefused(signed(many), "signature-mismatch");
        var tooMany = "t=" + now() + IntStream.range(0, 200).mapToObj(i -> ",v1=" + hex).collect(Collectors.joining());
        assertRefused(signed(tooMany), "signature-malformed");
    }

    @Test
    void a_one_megabyte_signature_header_is_431() throws IOException {
        var raw = raw(post(stripe.path(), "Stripe-Signature: t=1,v1=" + "a".repeat(1024 * 1024) + "\r\n", BODY_BYTES));
        assertThat(raw.status()).isEqualTo(431);
    }

    @Test
    void a_signature_header_just_under_the_header_limit_is_refused_without_effort() {
        assertRefused(signed("t=" + now() + ",v1=" + "ab".repeat(6000)), "signature-malformed");
    }

    // --- timestamps -----------------------------------------------------------------------------------

    @Test
    void far_past_and_far_future_timestamps_are_out_of_tolerance() {
        assertRefused(signed(stripeSignature(Hooks.STRIPE_SECRET, 1, BODY_BYTES)), "timestamp-out-of-tolerance");
        assertRefused(signed(stripeSignature(Hooks.STRIPE_SECRET, now() - 301, BODY_BYTES)), "timestamp-out-of-tolerance");
        assertRefused(signed(stripeSignature(Hooks.STRIPE_SECRET, now() + 10L * 365 * 24 * 3600, BODY_BYTES)),
                "timestamp-out-of-tolerance");
        assertRefused(signed(stripeSignature(Hooks.STRIPE_SECRET, Long.MAX_VALUE, BODY_BYTES)),
                "timestamp-out-of-tolerance");
        assertRefused(signed("t=99999999999999999999999999,v1=" + "ab".repeat(32)), "timestamp-out-of-tolerance");
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "-5", "+1700000000", "1.5", "1e9", " ", "0x10", "", "١٧٠٠٠٠٠٠٠٠"})
    void non_numeric_timestamps_are_refused(String t) throws IOException {
        // signed correctly over the odd timestamp: only the timestamp check can refuse it
        String hex = Hooks.hex(Hooks.hmac("HmacSHA256", utf8(Hooks.STRIPE_SECRET), utf8(t + "."), BODY_BYTES));
        var reply = raw(post(stripe.path(), "Stripe-Signature: t=" + t + ",v1=" + hex + "\r\n", BODY_BYTES,
                StandardCharsets.UTF_8));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(401);
        assertThat(reply.body()).contains("webhook.signature-malformed");
    }

    // --- bodies ---------------------------------------------------------------------------------------

    @Test
    void a_bom_in_front_of_a_signed_body_breaks_the_signature() {
        var bom = new ByteArrayOutputStream();
        bom.writeBytes(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        bom.writeBytes(BODY_BYTES);
        // signed without the BOM, sent with it: the exact bytes are what counts, nothing is stripped first
        var reply = stripe.post("application/json", bom.toByteArray(),
                Map.of("Stripe-Signature", stripeSignature(Hooks.STRIPE_SECRET, now(), BODY_BYTES)));
        assertRefused(reply, "signature-mismatch");
    }

    @Test
    void invalid_utf8_with_a_wrong_signature_is_refused_before_any_parse() {
        byte[] invalid = {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}'};
        var reply = stripe.post("application/json", invalid,
                Map.of("Stripe-Signature", stripeSignature("whsec_other", now(), invalid)));
        assertRefused(reply, "signature-mismatch");
    }

    @Test
    void a_zero_byte_body_without_a_signature_is_refused() {
        assertRefused(stripe.post("application/json", new byte[0], Map.of()), "signature-missing");
        assertRefused(stripe.post(null, new byte[0], Map.of("Stripe-Signature",
                stripeSignature("whsec_other", now(), new byte[0]))), "signature-mismatch");
    }

    @Test
    void a_body_over_the_bots_limit_is_413() {
        byte[] big = new byte[1025];
        java.util.Arrays.fill(big, (byte) 'a');
        var reply = small.post("application/json", big, Map.of("Stripe-Signature",
                stripeSignature(Hooks.STRIPE_SECRET, now(), big)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(413);
        assertThat(reply.json().path("id").asText()).isEqualTo("content-too-large");
        assertThat(reply.outcomeText()).isEqualTo("Request body too large");
        // exactly at the limit is read and checked
        assertRefused(small.post("application/json", java.util.Arrays.copyOf(big, 1024), Map.of()), "signature-missing");
    }

    @Test
    void a_body_over_the_default_one_megabyte_is_413() {
        byte[] big = new byte[1024 * 1024 + 1];
        assertThat(stripe.post("application/json", big, Map.of()).status()).isEqualTo(413);
        assertRefused(stripe.post("application/json", new byte[1024 * 1024], Map.of()), "signature-missing");
    }

    @Test
    void an_over_limit_chunked_body_is_413_and_an_over_limit_declared_length_is_refused_unread() throws IOException {
        var chunked = new ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            chunked.writeBytes(("200\r\n" + "a".repeat(512) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        String head = "POST " + small.path() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        var bytes = new ByteArrayOutputStream();
        bytes.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
        bytes.writeBytes(chunked.toByteArray());
        assertThat(raw(bytes.toByteArray()).status()).isEqualTo(413);

        // a Content-Length over the limit is refused before a byte of the body is read
        var declared = raw(("POST " + small.path() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 100000000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.headers()).containsEntry("connection", "close");
    }

    @Test
    void a_body_shorter_than_its_length_is_a_clear_4xx() throws IOException {
        var reply = raw(("POST " + stripe.path() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: 50\r\n\r\n{\"id\":1}").getBytes(StandardCharsets.US_ASCII));
        assertThat(reply.status()).isBetween(400, 499);
    }

    // --- replays and scheme confusion -----------------------------------------------------------------

    @Test
    void a_valid_signature_of_a_different_body_is_a_mismatch() {
        byte[] original = utf8(Hooks.invoicePaid("evt_orig", "in_orig"));
        String signature = stripeSignature(Hooks.STRIPE_SECRET, now(), original);
        byte[] changed = utf8(Hooks.invoicePaid("evt_orig", "in_changed"));
        assertRefused(stripe.post("application/json", changed, Map.of("Stripe-Signature", signature)),
                "signature-mismatch");
    }

    @Test
    void a_valid_stripe_signature_under_standard_webhooks_is_refused() {
        var standard = Hooks.create("{\"verify\":[{\"scheme\":\"standard-webhooks\",\"secret\":\"SW\"}]}",
                Map.of("SW", Hooks.STRIPE_SECRET));
        var reply = standard.post(BODY, Map.of("Stripe-Signature", stripeSignature(Hooks.STRIPE_SECRET, now(), BODY_BYTES)));
        assertRefused(reply, "signature-missing");
        // and the same key and MAC dressed as Standard Webhooks headers still do not verify: the key is decoded
        String hmac = Hooks.b64(Hooks.hmac("HmacSHA256", utf8(Hooks.STRIPE_SECRET), utf8("msg_1." + now() + "."), BODY_BYTES));
        assertRefused(standard.post(BODY, Map.of("webhook-id", "msg_1", "webhook-timestamp", Long.toString(now()),
                "webhook-signature", "v1," + hmac)), "signature-mismatch");
    }

    // --- queries --------------------------------------------------------------------------------------

    @Test
    void a_get_with_ten_thousand_query_parameters_is_a_clear_4xx() throws IOException {
        String query = IntStream.range(0, 10_000).mapToObj(i -> "p" + i + "=" + i).collect(Collectors.joining("&"));
        var reply = raw(("GET " + stripe.path() + "?" + query + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(reply.status()).isIn(414, 431);
    }

    @Test
    void a_get_with_more_query_parameters_than_the_parser_takes_is_400() throws IOException {
        String query = IntStream.range(0, 2_000).mapToObj(i -> "a").collect(Collectors.joining("&"));
        var reply = raw(("GET " + stripe.path() + "?" + query + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.body()).contains("Too many query parameters");
    }

    // --- raw HTTP -------------------------------------------------------------------------------------

    private record RawReply(int status, Map<String, String> headers, String body) {}

    private static byte[] post(String path, String extraHeaders, byte[] body) {
        return post(path, extraHeaders, body, StandardCharsets.ISO_8859_1);
    }

    private static byte[] post(String path, String extraHeaders, byte[] body, java.nio.charset.Charset headerCharset) {
        var out = new ByteArrayOutputStream();
        out.writeBytes(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + extraHeaders
                + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(headerCharset));
        out.writeBytes(body);
        return out.toByteArray();
    }

    /** Sends the bytes and reads the response up to the end of the stream (or its declared length). */
    private static RawReply raw(byte[] request) throws IOException {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), TestServer.get().server().port())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request);
                out.flush();
                socket.shutdownOutput();
            } catch (IOException e) {
                // the server may refuse and close before it has read everything; read what it said
            }
            InputStream in = socket.getInputStream();
            var head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) break;
                head.write(b);
            }
            String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
            var headers = new java.util.LinkedHashMap<String, String>();
            for (int i = 1; i < lines.length; i++) {
                int colon = lines[i].indexOf(':');
                if (colon > 0) headers.put(lines[i].substring(0, colon).strip().toLowerCase(), lines[i].substring(colon + 1).strip());
            }
            String length = headers.get("content-length");
            byte[] body = length != null ? in.readNBytes(Integer.parseInt(length)) : in.readAllBytes();
            return new RawReply(Integer.parseInt(lines[0].split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
        }
    }
}
