package dev.fhirhook.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.TestServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where a webhook's bot runs: on the request's own thread when the body came whole with the request, handed to a run
 * thread when the body was still on its way (the request then waits for it on a virtual thread). Both answer alike;
 * {@code botRuns} in {@code GET /admin/webhook-metrics} counts which it was. Raw sockets, so that what arrives when is
 * the test's choice, not an HTTP client's.
 */
class WebhookThreadsTest {
    private static final String STRIPE = "{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"STRIPE\"}]}";

    private static JsonNode botRuns() {
        var reply = TestServer.get().admin().get("/admin/webhook-metrics");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("botRuns");
    }

    private static byte[] request(Hooks.Hook hook, String body) {
        byte[] bytes = Hooks.utf8(body);
        String signature = Hooks.stripeSignature(Hooks.STRIPE_SECRET, Instant.now().getEpochSecond(), bytes);
        String head = "POST " + hook.path() + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Stripe-Signature: " + signature
                + "\r\nContent-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n";
        var out = new ByteArrayOutputStream();
        out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    /** Sends {@code request} split after {@code firstBytes}, pausing between the parts; returns the status line. */
    private static String send(byte[] request, int firstBytes, long pauseMillis) throws Exception {
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), TestServer.get().server().port())) {
            socket.setSoTimeout(15_000);
            var out = socket.getOutputStream();
            out.write(Arrays.copyOfRange(request, 0, firstBytes));
            out.flush();
            if (firstBytes < request.length) {
                Thread.sleep(pauseMillis);
                out.write(Arrays.copyOfRange(request, firstBytes, request.length));
                out.flush();
            }
            return statusLine(socket.getInputStream());
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        var line = new StringBuilder();
        for (int b = in.read(); b != -1 && b != '\n'; b = in.read()) line.append((char) b);
        return line.toString().trim();
    }

    @Test
    void a_body_that_came_whole_runs_the_bot_in_place_and_one_still_arriving_is_handed_off() throws Exception {
        var hook = Hooks.create(STRIPE, Map.of("STRIPE", Hooks.STRIPE_SECRET))
                .deploy("exports.handler = async (medplum, event) => ({ok: event.input.id});");

        var before = botRuns();
        byte[] whole = request(hook, Hooks.invoicePaid("evt_threads_1", "in_threads_1"));
        assertThat(send(whole, whole.length, 0)).isEqualTo("HTTP/1.1 200 OK");
        var afterWhole = botRuns();
        assertThat(afterWhole.path("inPlace").asLong()).isEqualTo(before.path("inPlace").asLong() + 1);
        assertThat(afterWhole.path("handedOff").asLong()).isEqualTo(before.path("handedOff").asLong());

        // the headers and half of the body, then the rest 300 ms later
        byte[] split = request(hook, Hooks.invoicePaid("evt_threads_2", "in_threads_2"));
        assertThat(send(split, split.length - 40, 300)).isEqualTo("HTTP/1.1 200 OK");
        var afterSplit = botRuns();
        assertThat(afterSplit.path("inPlace").asLong()).isEqualTo(afterWhole.path("inPlace").asLong());
        assertThat(afterSplit.path("handedOff").asLong()).isEqualTo(afterWhole.path("handedOff").asLong() + 1);

        // both runs wrote their AuditEvent, the same way
        var audits = Hooks.awaitSearch(hook.project().api(), "AuditEvent?entity=Bot/" + hook.botId() + "&outcome=0");
        assertThat(audits.path("entry")).hasSize(2);
    }
}
