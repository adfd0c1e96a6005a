package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestBot;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Stopping a server (what SIGTERM does) lets the requests in flight finish within the grace, refuses new ones,
 * and only then stops what they use. A second server on the shared PostgreSQL is stopped, so the other tests
 * keep theirs.
 */
class GracefulStopTest {
    private static final String SLOW_BOT = """
            exports.handler = async (medplum, event) => {
              await medplum.createResource({resourceType: 'Patient', name: [{family: event.input.name + '-started'}]});
              await new Promise((resolve) => setTimeout(resolve, 6000));
              const done = await medplum.createResource({resourceType: 'Patient', name: [{family: event.input.name}]});
              return done.id;
            };
            """;

    @Test
    void a_bot_run_in_flight_when_the_server_stops_finishes_and_new_requests_are_refused() throws Exception {
        var run = slowRunOnASecondServer("graceful");
        var project = run.project();
        String name = run.name();
        var server = run.server();
        int port = server.port();
        var inFlight = run.reply();

        assertThat(patients(project.api(), name)).as("the run is still in flight when the stop begins").isZero();
        var stopping = CompletableFuture.runAsync(server::close);
        assertThat(refusedWithin(port, Duration.ofSeconds(5))).as("a new request while stopping is refused").isTrue();
        // a second close (the JVM's shutdown hook, a test harness) returns only when the stop is complete, so that
        // nothing it does next (deleting the data directory) races the database's shutdown
        var alsoStopping = CompletableFuture.runAsync(server::close);
        Thread.sleep(200);
        assertThat(inFlight).isNotDone();
        assertThat(alsoStopping).as("a second close waits for the first").isNotDone();

        var reply = inFlight.get(30, TimeUnit.SECONDS);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        String created = reply.body().replace("\"", "");
        stopping.get(30, TimeUnit.SECONDS);
        alsoStopping.get(30, TimeUnit.SECONDS);
        var stored = project.api().get("/fhir/R4/Patient/" + created);
        assertThat(stored.status()).as(stored.toString()).isEqualTo(200);
        assertThat(stored.json().path("name").path(0).path("family").asText()).isEqualTo(name);
    }

    @Test
    void a_request_queued_behind_one_in_flight_is_left_for_the_client_to_send_again() throws Exception {
        var project = TestServer.get().newProject();
        var bot = TestBot.create(project).deploy(SLOW_BOT);
        String name = "pipelined" + System.nanoTime();
        var server = secondServer("20");
        String body = "{\"name\":\"" + name + "\"}";
        String auth = java.util.Base64.getEncoder().encodeToString(
                (project.clientId() + ":" + project.secret()).getBytes(StandardCharsets.UTF_8));
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            socket.setSoTimeout(30_000);
            // two requests on one connection: the second waits in the connection behind the slow first
            socket.getOutputStream().write(("POST /fhir/R4/Bot/" + bot.id() + "/$execute HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Basic " + auth + "\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body
                    + "GET /healthcheck HTTP/1.1\r\nHost: localhost\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            awaitPatient(project.api(), name + "-started");
            var stopping = CompletableFuture.runAsync(server::close);
            String answers = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            stopping.get(30, TimeUnit.SECONDS);
            // the run's answer, marked as the connection's last; the queued request was never started, so the
            // client sends it again on a new connection (to the next server)
            assertThat(answers).startsWith("HTTP/1.1 200").containsIgnoringCase("\r\nConnection: close\r\n");
            assertThat(answers.split("HTTP/1.1 ", -1)).as(answers).hasSize(2);
        }
    }

    /**
     * A keep-alive connection with no request in progress is closed as soon as the stop begins, without a byte of
     * an answer: a client that sends on it sees the connection end before any response and sends again on a new
     * one (to the next server), as HTTP/1.1 clients do for a connection the server closed. Requests in flight on
     * other connections still finish.
     */
    @Test
    void an_idle_keep_alive_connection_is_closed_at_once_when_the_stop_begins() throws Exception {
        var run = slowRunOnASecondServer("idle"); // the stop waits for this one, in its 6 s wait
        var inFlight = run.reply();
        try (var socket = new Socket(InetAddress.getLoopbackAddress(), run.server().port())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("GET /healthcheck HTTP/1.1\r\nHost: localhost\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(readResponse(socket)).startsWith("HTTP/1.1 200"); // open, and idle from now on
            var stopping = CompletableFuture.runAsync(run.server()::close);

            assertThat(socket.getInputStream().read()).as("closed, with no answer").isEqualTo(-1);
            assertThat(inFlight).as("within the grace, long before the run in flight ends").isNotDone();
            assertThat(inFlight.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            stopping.get(30, TimeUnit.SECONDS);
        }
    }

    /** One response with a Content-Length body, read to its end, so that the connection can carry the next. */
    private static String readResponse(Socket socket) throws IOException {
        var in = socket.getInputStream();
        var head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new IOException("connection closed in the headers: " + head);
            head.append((char) b);
        }
        var length = Pattern.compile("(?i)\r\nContent-Length: (\\d+)").matcher(head);
        assertThat(length.find()).as(head.toString()).isTrue();
        return head + new String(in.readNBytes(Integer.parseInt(length.group(1))), StandardCharsets.UTF_8);
    }

    @Test
    void with_no_grace_a_stop_does_not_wait() throws Exception {
        var server = secondServer("0");
        int port = server.port();
        long start = System.nanoTime();
        server.close();
        server.close(); // a second close is a no-op
        server.awaitClosed();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(refusedWithin(port, Duration.ofSeconds(1))).isTrue();
    }

    /** A run of SLOW_BOT on a second server (grace 20 s), under way in its 6 s wait. */
    private record SlowRun(TestProject project, String name, Fhirhook server, CompletableFuture<Api.Reply> reply) {}

    private static SlowRun slowRunOnASecondServer(String prefix) throws InterruptedException {
        var project = TestServer.get().newProject();
        var bot = TestBot.create(project).deploy(SLOW_BOT);
        String name = prefix + System.nanoTime();
        var server = secondServer("20");
        var client = new Api(server.baseUrl(), project.clientId(), project.secret());
        var reply = CompletableFuture.supplyAsync(() -> client.raw("POST", "/fhir/R4/Bot/" + bot.id() + "/$execute",
                "application/json", ("{\"name\":\"" + name + "\"}").getBytes(StandardCharsets.UTF_8)));
        awaitPatient(project.api(), name + "-started");
        return new SlowRun(project, name, server, reply);
    }

    /** A server of its own on the shared PostgreSQL, with the given shutdown grace in seconds. */
    private static Fhirhook secondServer(String grace) {
        var m = Pattern.compile("//127\\.0\\.0\\.1:(\\d+)/").matcher(TestServer.get().server().database().jdbcUrl());
        assertThat(m.find()).isTrue();
        return Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-graceful-"), Map.of(
                "database-url", "jdbc:postgresql://127.0.0.1:" + m.group(1) + "/postgres", "database-user", "postgres",
                "shutdown-grace", grace)), Clock.systemUTC());
    }

    private static int patients(Api api, String family) {
        var found = api.get("/fhir/R4/Patient?family:exact=" + family);
        assertThat(found.status()).as(found.toString()).isEqualTo(200);
        return found.json().path("entry").size();
    }

    private static void awaitPatient(Api api, String family) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(20);
        while (Instant.now().isBefore(deadline)) {
            if (patients(api, family) > 0) return;
            Thread.sleep(50);
        }
        throw new AssertionError("the bot run did not start: no Patient " + family);
    }

    /** True once a connection to the port is refused, or a request on a new one is answered 503. */
    private static boolean refusedWithin(int port, Duration limit) throws InterruptedException {
        Instant deadline = Instant.now().plus(limit);
        while (Instant.now().isBefore(deadline)) {
            try (var socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(2_000);
                socket.getOutputStream().write("GET /healthcheck HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                String status = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                if (status.endsWith("503")) return true;
            } catch (ConnectException e) {
                return true;
            } catch (IOException e) {
                // reset while the connector closes: try again
            }
            Thread.sleep(20);
        }
        return false;
    }
}
