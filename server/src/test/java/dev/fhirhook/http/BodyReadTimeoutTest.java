package dev.fhirhook.http;

import static dev.fhirhook.http.HttpEdgeTest.assertOutcome;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code body-read-timeout}: a body must arrive whole within that many seconds of the server starting to read it,
 * however often the client sends a byte (Jetty's idle timeout restarts with each one). A second server on the shared
 * database, with the timeout at 2 seconds; the clients are raw sockets.
 */
class BodyReadTimeoutTest {
    private static final int TIMEOUT_SECONDS = 2;
    private static Fhirhook timed;
    private static TestProject project;
    private static String authorization;

    @BeforeAll
    static void start() {
        var shared = TestServer.get().server().database();
        timed = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-body-timeout-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres",
                "body-read-timeout", Integer.toString(TIMEOUT_SECONDS))), Clock.systemUTC());
        project = TestServer.get().newProject();
        authorization = "Basic " + Base64.getEncoder().encodeToString(
                (project.clientId() + ":" + project.secret()).getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        if (timed != null) timed.close();
    }

    @AfterEach
    void nothing_was_written_and_the_server_is_still_healthy() {
        var api = new Api(timed.baseUrl(), null, null);
        assertThat(api.get("/healthcheck").status()).isEqualTo(200);
        var found = project.api().get("/fhir/R4/Patient?family=Trickle");
        assertThat(found.json().path("entry")).as(found.toString()).isEmpty();
    }

    private static final String PATIENT = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Trickle\"}]}";

    private static Socket open() throws IOException {
        var socket = new Socket(InetAddress.getLoopbackAddress(), timed.port());
        socket.setSoTimeout(15_000);
        return socket;
    }

    private static String head(String framing) {
        return "POST /fhir/R4/Patient HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
                + "\r\nContent-Type: application/fhir+json\r\n" + framing + "\r\n\r\n";
    }

    /** Sends {@code pieces} one after another, {@code pauseMillis} apart, until done or the server closes. */
    private static void trickle(OutputStream out, long pauseMillis, String... pieces) throws InterruptedException {
        try {
            for (String piece : pieces) {
                out.write(piece.getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(pauseMillis);
            }
        } catch (IOException e) {
            // the server answered and closed: what it said is read next
        }
    }

    /** One byte of the body at a time: each well within the idle timeout, the whole far past the body's deadline. */
    private static String[] bytewise(String body) {
        return body.chars().mapToObj(c -> String.valueOf((char) c)).toArray(String[]::new);
    }

    private static void assertTimedOut(HttpEdgeTest.RawReply reply, Socket socket, long startNanos) throws IOException {
        var outcome = assertOutcome(reply, 408, "Request body not received in time");
        assertThat(outcome.path("issue").path(0).path("code").asText()).isEqualTo("timeout");
        assertThat(reply.header("connection")).isEqualTo("close");
        assertThat(socket.getInputStream().read()).as("the server closes after the answer").isEqualTo(-1);
        assertThat(Duration.ofNanos(System.nanoTime() - startNanos))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(TIMEOUT_SECONDS).minusMillis(200))
                .isLessThan(Duration.ofSeconds(TIMEOUT_SECONDS + 5));
    }

    /** Writes {@code head}, then {@code pieces} 150 ms apart, from a thread of its own; the test reads meanwhile. */
    private static Thread sending(Socket socket, String head, String... pieces) {
        return Thread.ofVirtual().start(() -> {
            try {
                var out = socket.getOutputStream();
                out.write(head.getBytes(StandardCharsets.ISO_8859_1));
                trickle(out, 150, pieces);
            } catch (IOException | InterruptedException e) {
                // closed under us: the reader says what happened
            }
        });
    }

    @Test
    void a_body_sent_a_byte_at_a_time_past_the_deadline_is_408_and_the_connection_closes() throws Exception {
        try (var socket = open()) {
            long start = System.nanoTime();
            var sender = sending(socket, head("Content-Length: " + PATIENT.length()), bytewise(PATIENT));
            assertTimedOut(HttpEdgeTest.read(socket.getInputStream()), socket, start);
            sender.interrupt();
        }
    }

    @Test
    void a_chunked_body_sent_a_chunk_at_a_time_past_the_deadline_is_408() throws Exception {
        try (var socket = open()) {
            long start = System.nanoTime();
            var chunks = java.util.Arrays.stream(bytewise(PATIENT)).map(c -> "1\r\n" + c + "\r\n").toArray(String[]::new);
            var sender = sending(socket, head("Transfer-Encoding: chunked"), chunks);
            assertTimedOut(HttpEdgeTest.read(socket.getInputStream()), socket, start);
            sender.interrupt();
        }
    }

    @Test
    void a_body_announced_and_never_sent_is_408_at_the_deadline_not_at_the_idle_timeout() throws Exception {
        try (var socket = open()) {
            long start = System.nanoTime();
            socket.getOutputStream().write(head("Content-Length: 100").getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write('{');
            socket.getOutputStream().flush();
            assertTimedOut(HttpEdgeTest.read(socket.getInputStream()), socket, start);
        }
    }

    @Test
    void a_slow_body_that_arrives_before_the_deadline_is_read_as_usual() throws Exception {
        try (var socket = open()) {
            var out = socket.getOutputStream();
            out.write(head("Content-Length: " + PATIENT.length() + "\r\nConnection: close")
                    .getBytes(StandardCharsets.ISO_8859_1));
            int third = PATIENT.length() / 3;
            trickle(out, 300, PATIENT.substring(0, third), PATIENT.substring(third, 2 * third),
                    PATIENT.substring(2 * third));
            var reply = HttpEdgeTest.read(socket.getInputStream());
            assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
            String id = reply.json().path("id").asText();
            assertThat(project.api().delete("/fhir/R4/Patient/" + id).status()).isEqualTo(200);
        }
    }

    @Test
    void the_connection_after_a_body_that_was_read_in_time_is_kept_for_the_next_request() throws Exception {
        // the deadline belongs to one body: a kept-alive connection's next request gets a deadline of its own
        try (var socket = open()) {
            var out = socket.getOutputStream();
            String get = "GET /healthcheck HTTP/1.1\r\nHost: localhost\r\n\r\n";
            out.write(get.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            assertThat(HttpEdgeTest.read(socket.getInputStream()).status()).isEqualTo(200);
            Thread.sleep(Duration.ofSeconds(TIMEOUT_SECONDS).plusMillis(500));
            out.write(head("Content-Length: 1").getBytes(StandardCharsets.ISO_8859_1));
            out.write('{');
            out.flush();
            var reply = HttpEdgeTest.read(socket.getInputStream());
            assertOutcome(reply, 400); // read at once: the body is judged, not timed out
        }
    }
}
