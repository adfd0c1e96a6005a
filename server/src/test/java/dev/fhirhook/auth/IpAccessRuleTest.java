package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code AccessPolicy.ipAccessRule} through HTTP on every path a membership's credentials take: HTTP Basic,
 * bearer tokens and {@code POST /oauth2/token}. The shared server trusts no proxy; a second one on the same
 * database trusts 127.0.0.1, so {@code X-Forwarded-For} decides the client address there.
 */
class IpAccessRuleTest {
    private static final String FORM = "application/x-www-form-urlencoded";
    private static Fhirhook proxied;

    @BeforeAll
    static void start_a_server_behind_a_trusted_proxy() throws Exception {
        var shared = TestServer.get().server().database();
        proxied = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-proxied-"), Map.of(
                "trusted-proxies", "127.0.0.1",
                "database-url", shared.jdbcUrl(),
                "database-user", "postgres")), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (proxied != null) proxied.close();
    }

    private static String policy(TestProject project, String rules) {
        var reply = TestServer.get().admin().post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","meta":{"project":"%s"},"name":"ip rules",
                 "resource":[{"resourceType":"*"}],"ipAccessRule":%s}""".formatted(project.projectId(), rules));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json().get("id").asText();
    }

    private static void assign(TestProject project, String patch) {
        var reply = TestServer.get().admin().patch("/fhir/R4/ProjectMembership/" + project.membershipId(), patch);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    private static void assignPolicy(TestProject project, String policyId) {
        assign(project, "[{\"op\":\"add\",\"path\":\"/accessPolicy\",\"value\":{\"reference\":\"AccessPolicy/" + policyId + "\"}}]");
    }

    private static Api.Reply token(String baseUrl, TestProject project, String forwardedFor) {
        var request = new Api(baseUrl, project.clientId(), project.secret()).request("/oauth2/token")
                .header("Content-Type", FORM).POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials"));
        if (forwardedFor != null) request.header("X-Forwarded-For", forwardedFor);
        return TestServer.get().anonymous().send(request);
    }

    private static Api.Reply get(String baseUrl, String authorization, String path, String forwardedFor) {
        var anonymous = new Api(baseUrl, null, null);
        var request = anonymous.request(path).header("Authorization", authorization).GET();
        if (forwardedFor != null) request.header("X-Forwarded-For", forwardedFor);
        return anonymous.send(request);
    }

    private static String basic(TestProject project) {
        return "Basic " + java.util.Base64.getEncoder().encodeToString((project.clientId() + ":" + project.secret()).getBytes());
    }

    private static void assertIpRefused(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(403);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.outcomeText()).isEqualTo("IP address not allowed");
        assertThat(reply.errorCode()).isEqualTo("auth.ip-not-allowed");
    }

    private static void assertTokenRefused(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("error").asText()).isEqualTo("invalid_request");
        assertThat(reply.json().path("error_description").asText()).isEqualTo("IP address not allowed");
    }

    @Test
    void a_rule_blocking_the_callers_address_refuses_basic_bearer_and_the_token_endpoint() {
        String base = TestServer.get().baseUrl();
        var project = TestServer.get().newProject();
        var issued = token(base, project, null);
        assertThat(issued.status()).as(issued.toString()).isEqualTo(200);
        String bearer = "Bearer " + issued.json().path("access_token").asText();
        assertThat(get(base, basic(project), "/fhir/R4/Patient/_history", null).status()).as("cached before the policy").isEqualTo(200);

        assignPolicy(project, policy(project, "[{\"name\":\"no loopback\",\"value\":\"127.0.0.1\",\"action\":\"block\"}]"));

        assertIpRefused(get(base, basic(project), "/fhir/R4/Patient/_history", null));
        assertIpRefused(get(base, bearer, "/fhir/R4/Patient/_history", null));
        assertTokenRefused(token(base, project, null));
        // the refusal is about the address, not the credentials: a wrong secret is still just a wrong secret
        var wrong = new Api(base, project.clientId(), "wrong").get("/fhir/R4/Patient/_history");
        assertThat(wrong.status()).isEqualTo(401);
    }

    @Test
    void a_cidr_allow_before_a_block_all_lets_the_caller_in_on_every_path() {
        String base = TestServer.get().baseUrl();
        var project = TestServer.get().newProject();
        assignPolicy(project, policy(project, """
                [{"name":"loopback","value":"127.0.0.0/8","action":"allow"},{"name":"rest","value":"*","action":"block"}]"""));
        assertThat(get(base, basic(project), "/fhir/R4/Patient/_history", null).status()).isEqualTo(200);
        var issued = token(base, project, null);
        assertThat(issued.status()).as(issued.toString()).isEqualTo(200);
        assertThat(get(base, "Bearer " + issued.json().path("access_token").asText(), "/fhir/R4/Patient/_history", null).status())
                .isEqualTo(200);
    }

    @Test
    void rules_of_access_policy_then_access_entries_are_concatenated_and_the_first_match_decides() {
        String base = TestServer.get().baseUrl();
        var allowing = TestServer.get().newProject();
        String allow = policy(allowing, "[{\"value\":\"127.0.0.0/8\",\"action\":\"allow\"}]");
        String block = policy(allowing, "[{\"value\":\"*\",\"action\":\"block\"}]");
        assign(allowing, """
                [{"op":"add","path":"/accessPolicy","value":{"reference":"AccessPolicy/%s"}},
                 {"op":"add","path":"/access","value":[{"policy":{"reference":"AccessPolicy/%s"}}]}]""".formatted(allow, block));
        assertThat(get(base, basic(allowing), "/fhir/R4/Patient/_history", null).status()).isEqualTo(200);

        var blocking = TestServer.get().newProject();
        String other = policy(blocking, "[{\"value\":\"10.0.0.0/8\",\"action\":\"allow\"}]");
        String all = policy(blocking, "[{\"value\":\"*\",\"action\":\"block\"}]");
        assign(blocking, """
                [{"op":"add","path":"/accessPolicy","value":{"reference":"AccessPolicy/%s"}},
                 {"op":"add","path":"/access","value":[{"policy":{"reference":"AccessPolicy/%s"}}]}]""".formatted(other, all));
        assertIpRefused(get(base, basic(blocking), "/fhir/R4/Patient/_history", null));
        assertTokenRefused(token(base, blocking, null));
    }

    @Test
    void a_policy_that_cannot_be_loaded_or_an_unreadable_rule_blocks() {
        String base = TestServer.get().baseUrl();
        var missing = TestServer.get().newProject();
        assignPolicy(missing, "does-not-exist");
        assertIpRefused(get(base, basic(missing), "/fhir/R4/Patient/_history", null));

        var elsewhere = TestServer.get().newProject();
        var owner = TestServer.get().newProject();
        assignPolicy(elsewhere, policy(owner, "[{\"value\":\"*\",\"action\":\"allow\"}]"));
        assertIpRefused(get(base, basic(elsewhere), "/fhir/R4/Patient/_history", null));

        var unreadable = TestServer.get().newProject();
        assignPolicy(unreadable, policy(unreadable, "[{\"value\":\"127.0.0.0/99\",\"action\":\"allow\"}]"));
        assertIpRefused(get(base, basic(unreadable), "/fhir/R4/Patient/_history", null));
    }

    @Test
    void behind_a_trusted_proxy_the_forwarded_address_is_judged_on_every_request_even_with_cached_credentials() {
        String base = proxied.baseUrl();
        var project = TestServer.get().newProject();
        assignPolicy(project, policy(project, """
                [{"name":"office","value":"203.0.113.0/24","action":"allow"},{"value":"*","action":"block"}]"""));

        assertThat(get(base, basic(project), "/fhir/R4/Patient/_history", "203.0.113.7").status()).isEqualTo(200);
        assertIpRefused(get(base, basic(project), "/fhir/R4/Patient/_history", "198.51.100.7"));
        assertIpRefused(get(base, basic(project), "/fhir/R4/Patient/_history", null));
        assertThat(get(base, basic(project), "/fhir/R4/Patient/_history", "198.51.100.7, 203.0.113.8").status())
                .as("the hop the proxy saw decides, not one the client wrote").isEqualTo(200);
        assertIpRefused(get(base, basic(project), "/fhir/R4/Patient/_history", "203.0.113.8, 198.51.100.7"));

        var issued = token(base, project, "203.0.113.7");
        assertThat(issued.status()).as(issued.toString()).isEqualTo(200);
        assertTokenRefused(token(base, project, "198.51.100.7"));
        String bearer = "Bearer " + issued.json().path("access_token").asText();
        assertThat(get(base, bearer, "/fhir/R4/Patient/_history", "203.0.113.7").status()).isEqualTo(200);
        assertIpRefused(get(base, bearer, "/fhir/R4/Patient/_history", "198.51.100.7"));
    }

    @Test
    void without_trusted_proxies_x_forwarded_for_is_ignored() {
        String base = TestServer.get().baseUrl();
        var project = TestServer.get().newProject();
        assignPolicy(project, policy(project, """
                [{"value":"203.0.113.0/24","action":"allow"},{"value":"*","action":"block"}]"""));
        assertIpRefused(get(base, basic(project), "/fhir/R4/Patient/_history", "203.0.113.7"));
        assertTokenRefused(token(base, project, "203.0.113.7"));
    }
}
