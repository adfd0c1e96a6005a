package dev.fhirhook;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The real command line in a child process: `serve` on the embedded PostgreSQL keeps its data across a
 * clean restart and after the process was killed with SIGKILL (its orphaned PostgreSQL is taken over).
 */
class ServeProcessTest {
    private static final String ID = "proc-admin";
    private static final String SECRET = "proc-admin-secret-0123456789";
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+/) ");
    private static final Pattern POSTGRES_READY = Pattern.compile("(embedded PostgreSQL ready)");

    private Process process;

    @AfterEach
    void stop() throws Exception {
        if (process != null && process.isAlive()) {
            process.destroy();
            process.waitFor(60, TimeUnit.SECONDS);
        }
    }

    @Test
    void data_survives_a_clean_restart_and_a_sigkill() throws Exception {
        Path data = TestServer.tempDir("fhirhook-serve-");
        var api = start(data);
        String patient = create(api, "Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Durable\"}]}");
        String invoice = create(api, "Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"issued\"}");
        String account = create(api, "Account", "{\"resourceType\":\"Account\",\"status\":\"active\"}");

        process.destroy(); // SIGTERM: the shutdown hook stops Jetty and PostgreSQL
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        api = start(data);
        assertThat(api.get("/fhir/R4/Patient/" + patient).body()).contains("Durable");
        assertThat(api.get("/fhir/R4/Invoice/" + invoice).status()).isEqualTo(200);
        String updated = api.put("/fhir/R4/Account/" + account,
                "{\"resourceType\":\"Account\",\"id\":\"" + account + "\",\"status\":\"inactive\"}").json()
                .path("meta").path("versionId").asText();

        process.destroyForcibly(); // SIGKILL: no shutdown hook runs, PostgreSQL is left running
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        api = start(data);
        assertThat(api.get("/fhir/R4/Patient/" + patient).body()).contains("Durable");
        var acct = api.get("/fhir/R4/Account/" + account);
        assertThat(acct.json().path("status").asText()).isEqualTo("inactive");
        assertThat(acct.json().path("meta").path("versionId").asText()).isEqualTo(updated);
        assertThat(api.get("/fhir/R4/Account/" + account + "/_history").json().path("total").asInt()).isEqualTo(2);
    }

    @Test
    void generated_admin_credentials_are_written_with_mode_0600() throws Exception {
        Path data = TestServer.tempDir("fhirhook-serve-");
        launch(data, false);
        Path file = data.resolve("admin-client.json");
        assertThat(file).exists();
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(
                java.nio.file.attribute.PosixFilePermission.OWNER_READ, java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        var creds = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
        var api = new Api(baseUrl, creds.get("clientId").asText(), creds.get("clientSecret").asText());
        assertThat(api.get("/fhir/R4/Patient/_history").status()).isEqualTo(200);
    }

    @Test
    void sigterm_during_start_up_stops_the_embedded_postgresql() throws Exception {
        // PostgreSQL is up but the server is still migrating and loading: no Fhirhook (whose ordered shutdown
        // stops PostgreSQL) exists yet. Before, SIGTERM here left the postmaster running until the next start.
        Path data = TestServer.tempDir("fhirhook-serve-");
        launch(data, false, POSTGRES_READY);
        Path pidFile = data.resolve("postgres").resolve("postmaster.pid");
        long postmaster = Long.parseLong(Files.readAllLines(pidFile).getFirst().strip());
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        var handle = ProcessHandle.of(postmaster);
        try {
            // the postmaster removes its pid file a moment before it exits
            handle.ifPresent(h -> h.onExit().completeOnTimeout(h, 10, TimeUnit.SECONDS).join());
            assertThat(handle.filter(ProcessHandle::isAlive)).as("the postmaster %d outlived the server", postmaster)
                    .isEmpty();
            assertThat(pidFile).as("a clean PostgreSQL stop removes its pid file").doesNotExist();
        } finally {
            handle.ifPresent(ProcessHandle::destroy); // an orphan would hold the directory the test JVM deletes
        }
    }

    private String baseUrl;

    private Api start(Path data) throws Exception {
        launch(data, true);
        return new Api(baseUrl, ID, SECRET);
    }

    private void launch(Path data, boolean withAdmin) throws Exception {
        baseUrl = launch(data, withAdmin, LISTENING);
    }

    /** Starts {@code serve} and returns the first group of the first output line {@code until} finds; fails if none. */
    private String launch(Path data, boolean withAdmin, Pattern until) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var builder = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.fhirhook.Main", "serve", "--port", "0", "--host", "127.0.0.1", "--data", data.toString());
        builder.environment().keySet().removeIf(k -> k.startsWith("FHIRHOOK_"));
        if (withAdmin) {
            builder.environment().put("FHIRHOOK_ADMIN_CLIENT_ID", ID);
            builder.environment().put("FHIRHOOK_ADMIN_CLIENT_SECRET", SECRET);
        }
        builder.redirectErrorStream(true);
        process = builder.start();
        var output = new StringBuffer();
        var url = new CompletableFuture<String>();
        var child = process;
        // Read the child's output to its end, so that it never blocks on a full pipe.
        Thread.ofVirtual().start(() -> {
            try (var reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    output.append(line).append('\n');
                    var m = until.matcher(line);
                    if (m.find()) url.complete(m.group(1));
                }
            } catch (IOException ignored) {
                // the process ended
            } finally {
                url.complete(null);
            }
        });
        String found = url.get(120, TimeUnit.SECONDS);
        assertThat(found).as("no line matching " + until + " in:\n" + output).isNotNull();
        return found;
    }

    private static String create(Api api, String type, String json) {
        var reply = api.post("/fhir/R4/" + type, json);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json().get("id").asText();
    }
}
