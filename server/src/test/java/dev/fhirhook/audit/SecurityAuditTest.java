package dev.fhirhook.audit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The audit trail through HTTP, read from the real {@code fhirhook.audit} logger with a logback ListAppender: each
 * failed authentication and each 403 is one JSON line with its reason and ids, and never a secret or a token.
 */
class SecurityAuditTest {
    private static final TestServer SERVER = TestServer.get();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(SecurityAudit.LOGGER);

    @BeforeEach
    void attach() {
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void detach() {
        logger.detachAppender(appender);
        appender.stop();
    }

    /** The request, sent with a trace id of its own, and the audit lines written for it. */
    private record Sent(Api.Reply reply, List<JsonNode> lines, List<String> raw) {
        JsonNode only() {
            assertThat(lines).as("audit lines for one request").hasSize(1);
            return lines.getFirst();
        }
    }

    private Sent send(Api api, HttpRequest.Builder request) {
        String trace = UUID.randomUUID().toString();
        var reply = api.send(request.header("X-Trace-Id", trace));
        var raw = new ArrayList<String>();
        var lines = new ArrayList<JsonNode>();
        synchronized (appender) {
            for (var event : List.copyOf(appender.list)) {
                String message = event.getFormattedMessage();
                try {
                    JsonNode line = JSON.readTree(message);
                    if (trace.equals(line.path("traceId").asText())) {
                        lines.add(line);
                        raw.add(message);
                    }
                } catch (java.io.IOException e) {
                    throw new AssertionError("audit line is not JSON: " + message, e);
                }
            }
        }
        return new Sent(reply, lines, raw);
    }

    private Sent get(Api api, String path) {
        return send(api, api.request(path).GET());
    }

    private static void assertCommon(Sent sent, String event, String reason, String method, String path) {
        var line = sent.only();
        assertThat(line.path("event").asText()).isEqualTo(event);
        assertThat(line.path("reason").asText()).isEqualTo(reason);
        assertThat(line.path("clientIp").asText()).isEqualTo("127.0.0.1");
        assertThat(line.path("requestId").asText()).isEqualTo(sent.reply().header("X-Request-Id"));
        assertThat(line.path("traceId").asText()).isEqualTo(sent.reply().header("X-Trace-Id"));
        assertThat(line.path("method").asText()).isEqualTo(method);
        assertThat(line.path("path").asText()).isEqualTo(path);
        assertThat(Instant.parse(line.path("time").asText())).isBefore(Instant.now().plusSeconds(1));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void failed_basic_authentications_say_why_and_never_carry_the_secret() {
        TestProject project = SERVER.newProject();
        String path = "/fhir/R4/Patient";
        String wrong = "wrong-secret-" + UUID.randomUUID();

        var unknown = get(new Api(SERVER.baseUrl(), "no-such-client", wrong), path);
        assertThat(unknown.reply().status()).isEqualTo(401);
        assertCommon(unknown, "authentication-failed", "invalid-client", "GET", path);
        assertThat(unknown.only().path("clientId").asText()).isEqualTo("no-such-client");

        var badSecret = get(new Api(SERVER.baseUrl(), project.clientId(), wrong), path);
        assertThat(badSecret.reply().status()).as("the caller sees the same 401").isEqualTo(401);
        assertCommon(badSecret, "authentication-failed", "invalid-secret", "GET", path);
        assertThat(badSecret.only().path("clientId").asText()).isEqualTo(project.clientId());

        var missing = get(SERVER.anonymous(), path);
        assertCommon(missing, "authentication-failed", "missing-credentials", "GET", path);
        assertThat(missing.only().has("clientId")).isFalse();

        var anonymous = SERVER.anonymous();
        var noColon = send(anonymous, anonymous.request(path).header("Authorization", "Basic " + b64("nocolon")).GET());
        assertCommon(noColon, "authentication-failed", "malformed-credentials", "GET", path);
        assertThat(noColon.only().path("check").asText()).isEqualTo("colon");
        var hostile = send(anonymous, anonymous.request(path)
                .header("Authorization", "Basic " + b64("\"},{\"x\":\"" + "y".repeat(500) + ":" + wrong)).GET());
        assertThat(hostile.only().has("clientId")).as("a claimed id that is no id is left out").isFalse();

        // switched off, then an inactive membership: both "inactive", with what was inactive
        var superAdmin = SERVER.admin();
        var client = (ObjectNode) superAdmin.get("/fhir/R4/ClientApplication/" + project.clientId()).json();
        assertThat(superAdmin.put("/fhir/R4/ClientApplication/" + project.clientId(), client.put("status", "off").toString()).status())
                .isEqualTo(200);
        var off = get(project.api(), path);
        assertCommon(off, "authentication-failed", "inactive", "GET", path);
        assertThat(off.only().path("check").asText()).isEqualTo("client status");
        assertThat(superAdmin.put("/fhir/R4/ClientApplication/" + project.clientId(), client.put("status", "active").toString()).status())
                .isEqualTo(200);
        assertThat(superAdmin.patch("/fhir/R4/ProjectMembership/" + project.membershipId(),
                "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]").status()).isEqualTo(200);
        var inactive = get(project.api(), path);
        assertCommon(inactive, "authentication-failed", "inactive", "GET", path);
        assertThat(inactive.only().path("check").asText()).isEqualTo("membership");

        for (Sent sent : List.of(unknown, badSecret, missing, noColon, hostile, off, inactive)) {
            assertThat(sent.raw().getFirst()).doesNotContain(wrong).doesNotContain(project.secret())
                    .doesNotContainIgnoringCase("authorization").doesNotContain("Basic ");
        }
    }

    @Test
    void refused_bearer_tokens_name_the_failed_check_and_never_the_token() {
        TestProject project = SERVER.newProject();
        var anonymous = SERVER.anonymous();
        var issued = anonymous.send(anonymous.request("/oauth2/token").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + project.clientId()
                        + "&client_secret=" + project.secret())));
        String token = issued.json().path("access_token").asText();
        String tampered = token.substring(0, token.length() - 4) + (token.endsWith("AAAA") ? "BBBB" : "AAAA");
        String path = "/fhir/R4/Patient";

        var bad = send(anonymous, anonymous.request(path).header("Authorization", "Bearer " + tampered).GET());
        assertThat(bad.reply().status()).isEqualTo(401);
        assertCommon(bad, "authentication-failed", "bad-token", "GET", path);
        assertThat(bad.only().path("check").asText()).isEqualTo("signature");
        assertThat(bad.only().has("clientId")).as("claims of an unverified token are not trusted").isFalse();
        var garbage = send(anonymous, anonymous.request(path).header("Authorization", "Bearer not.a.jwt").GET());
        assertThat(garbage.only().path("check").asText()).isEqualTo("malformed");

        assertThat(SERVER.admin().patch("/fhir/R4/ProjectMembership/" + project.membershipId(),
                "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]").status()).isEqualTo(200);
        var inactive = send(anonymous, anonymous.request(path).header("Authorization", "Bearer " + token).GET());
        assertCommon(inactive, "authentication-failed", "inactive", "GET", path);
        assertThat(inactive.only().path("clientId").asText()).isEqualTo(project.clientId());
        for (Sent sent : List.of(bad, garbage, inactive)) {
            assertThat(sent.raw().getFirst()).doesNotContain(token.substring(token.indexOf('.') + 1, token.lastIndexOf('.')))
                    .doesNotContain(tampered.substring(tampered.lastIndexOf('.') + 1)).doesNotContain("Bearer");
        }
    }

    @Test
    void the_token_endpoint_audits_refused_clients_as_well() {
        TestProject project = SERVER.newProject();
        var anonymous = SERVER.anonymous();
        String wrong = "wrong-" + UUID.randomUUID();
        var sent = send(anonymous, anonymous.request("/oauth2/token").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + project.clientId()
                        + "&client_secret=" + wrong)));
        assertThat(sent.reply().status()).isEqualTo(400);
        assertCommon(sent, "authentication-failed", "invalid-secret", "POST", "/oauth2/token");
        assertThat(sent.only().path("clientId").asText()).isEqualTo(project.clientId());
        assertThat(sent.raw().getFirst()).doesNotContain(wrong);
    }

    @Test
    void a_blocked_address_is_audited_as_ip_blocked() {
        TestProject project = AdminProjects.create(SERVER);
        var policy = SERVER.admin().post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","meta":{"project":"%s"},"resource":[{"resourceType":"*"}],
                 "ipAccessRule":[{"name":"nobody","value":"*","action":"block"}]}""".formatted(project.projectId()));
        var client = project.api().post("/admin/projects/" + project.projectId() + "/client",
                "{\"name\":\"blocked\",\"accessPolicy\":{\"reference\":\"AccessPolicy/" + policy.json().path("id").asText() + "\"}}");
        var blocked = new Api(SERVER.baseUrl(), client.json().path("id").asText(), client.json().path("secret").asText());
        var sent = get(blocked, "/fhir/R4/Patient");
        assertThat(sent.reply().status()).isEqualTo(403);
        assertCommon(sent, "authentication-failed", "ip-blocked", "GET", "/fhir/R4/Patient");
        assertThat(sent.only().path("clientId").asText()).isEqualTo(client.json().path("id").asText());
    }

    @Test
    void refused_requests_of_authenticated_callers_are_audited_as_access_denied() {
        TestProject plain = SERVER.newProject();
        String path = "/admin/projects/" + plain.projectId() + "/client";
        var sent = send(plain.api(), plain.api().request(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\"}")));
        assertThat(sent.reply().status()).isEqualTo(403);
        assertCommon(sent, "access-denied", "forbidden", "POST", path);
        assertThat(sent.only().path("code").asText()).isEqualTo("auth.project-admin-only");
        assertThat(sent.only().path("principal").asText()).isEqualTo("ClientApplication/" + plain.clientId());
        assertThat(sent.only().path("clientId").asText()).isEqualTo(plain.clientId());

        var system = send(plain.api(), plain.api().request("/fhir/R4/Bot").header("Content-Type", "application/fhir+json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"resourceType\":\"Bot\",\"name\":\"s\",\"system\":true}")));
        assertThat(system.reply().status()).isEqualTo(403);
        assertThat(system.only().path("code").asText()).isEqualTo("auth.protected-field");

        var allowed = get(plain.api(), "/fhir/R4/Patient");
        assertThat(allowed.reply().status()).isEqualTo(200);
        assertThat(allowed.lines()).as("nothing for requests that pass").isEmpty();
        var notFound = get(plain.api(), "/fhir/R4/Patient/" + UUID.randomUUID());
        assertThat(notFound.lines()).as("nor for other errors").isEmpty();
    }
}
