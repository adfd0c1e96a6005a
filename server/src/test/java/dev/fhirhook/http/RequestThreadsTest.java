package dev.fhirhook.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * Requests are served on a bounded pool of platform threads, except while they wait for their client: a body still
 * arriving is waited for on a virtual thread. So more slow senders than the pool has threads cannot keep anyone else
 * from being served. Raw sockets against the shared test server (its body-read timeout is the default 30 s).
 */
class RequestThreadsTest {
    private static final String PATIENT = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Slowpoke\"}]}";

    @Test
    void more_bodies_still_arriving_than_pooled_threads_keep_no_one_else_waiting() throws Exception {
        TestProject project = TestServer.get().newProject();
        String basic = Base64.getEncoder().encodeToString(
                (project.clientId() + ":" + project.secret()).getBytes(StandardCharsets.UTF_8));
        String head = "POST /fhir/R4/Patient HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/fhir+json\r\n"
                + "Authorization: Basic " + basic + "\r\nContent-Length: " + PATIENT.length() + "\r\n\r\n";
        var sockets = new ArrayList<Socket>();
        try {
            for (int i = 0; i < HttpServer.MAX_REQUEST_THREADS + 20; i++) {
                var socket = new Socket(InetAddress.getLoopbackAddress(), TestServer.get().server().port());
                sockets.add(socket);
                var out = socket.getOutputStream();
                out.write((head + PATIENT.substring(0, 10)).getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
            }
            // with a pooled thread held by each of them, these would wait for the first bodies' 30 s deadline
            long start = System.nanoTime();
            assertThat(TestServer.get().anonymous().get("/healthcheck").status()).isEqualTo(200);
            var created = project.api().post("/fhir/R4/Patient", PATIENT.replace("Slowpoke", "Prompt"));
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(15));
        } finally {
            for (var socket : sockets) socket.close();
        }
        // the slow ones broke off: nothing of them was written, and the server is still healthy
        assertThat(project.api().get("/fhir/R4/Patient?family=Slowpoke").json().path("entry")).isEmpty();
        assertThat(project.api().get("/fhir/R4/Patient?family=Prompt").json().path("entry")).hasSize(1);
        assertThat(TestServer.get().anonymous().get("/healthcheck").status()).isEqualTo(200);
    }
}
