package dev.fhirhook.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TcpProxy;
import dev.fhirhook.testing.TestServer;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A second server on an external PostgreSQL (the shared embedded one, reached through a TCP proxy):
 * when the network to PostgreSQL is cut, requests answer 503 and nothing is half-written; when it
 * returns, the same server recovers without a restart.
 */
class DatabaseOutageTest {

    @Test
    void postgres_unavailable_answers_503_and_the_server_recovers_when_it_returns() throws Exception {
        var m = Pattern.compile("//127\\.0\\.0\\.1:(\\d+)/").matcher(TestServer.get().server().database().jdbcUrl());
        assertThat(m.find()).isTrue();
        try (var proxy = new TcpProxy(Integer.parseInt(m.group(1)));
                var server = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-outage-"), Map.of(
                        "database-url", "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres",
                        "database-user", "postgres")), Clock.systemUTC())) {
            var admin = new Api(server.baseUrl(), TestServer.ADMIN_ID, TestServer.ADMIN_SECRET);
            var before = admin.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
            assertThat(before.status()).isEqualTo(201);
            String id = before.json().get("id").asText();

            proxy.cut();
            var read = admin.get("/fhir/R4/Patient/" + id);
            assertThat(read.status()).isEqualTo(503);
            assertThat(read.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
            assertThat(read.outcomeText()).contains("database");
            assertThat(read.header("Retry-After")).isNotBlank();
            var write = admin.put("/fhir/R4/Patient/" + id, "{\"resourceType\":\"Patient\",\"id\":\"" + id + "\",\"active\":false}");
            assertThat(write.status()).isEqualTo(503);
            var health = admin.get("/healthcheck");
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().path("ok").asBoolean()).isFalse();

            proxy.restore();
            Api.Reply after = null;
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (Instant.now().isBefore(deadline)) {
                after = admin.get("/fhir/R4/Patient/" + id);
                if (after.status() == 200) break;
                Thread.sleep(200);
            }
            assertThat(after).isNotNull();
            assertThat(after.status()).as(after.toString()).isEqualTo(200);
            assertThat(after.json().path("active").asBoolean()).isTrue();
            assertThat(after.json().path("meta").path("versionId")).isEqualTo(before.json().path("meta").path("versionId"));
            assertThat(admin.get("/healthcheck").status()).isEqualTo(200);
            assertThat(admin.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}").status()).isEqualTo(201);
        }
    }
}
