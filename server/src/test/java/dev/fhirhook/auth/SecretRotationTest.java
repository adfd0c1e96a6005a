package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code ClientApplication/{id}/$rotate-secret}: the two steps, the old secret working in between, and who may. */
class SecretRotationTest {
    private static final TestServer SERVER = TestServer.get();

    private static String[] client(TestProject project) {
        var reply = project.api().post("/admin/projects/" + project.projectId() + "/client", "{\"name\":\"rotated\"}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return new String[] {reply.json().path("id").asText(), reply.json().path("secret").asText()};
    }

    private static String rotate(String clientId) {
        return "/fhir/R4/ClientApplication/" + clientId + "/$rotate-secret";
    }

    private static String parameters(String name, String value) {
        return "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"" + name + "\",\"valueString\":\"" + value + "\"}]}";
    }

    private static int basic(String clientId, String secret) {
        return new Api(SERVER.baseUrl(), clientId, secret).get("/fhir/R4/Patient?_count=1").status();
    }

    private static int token(String clientId, String secret) {
        var anonymous = SERVER.anonymous();
        return anonymous.send(anonymous.request("/oauth2/token").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + clientId
                        + "&client_secret=" + secret))).status();
    }

    @Test
    void the_old_secret_keeps_working_after_rotation_until_the_retiring_secret_is_cleared() {
        TestProject project = AdminProjects.create(SERVER);
        String[] client = client(project);
        String old = client[1];
        assertThat(basic(client[0], old)).isEqualTo(200); // cached from here on

        var rotated = project.api().post(rotate(client[0]), parameters("secret", old));
        assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
        assertThat(rotated.json().path("resourceType").asText()).isEqualTo("ClientApplication");
        String fresh = rotated.json().path("secret").asText();
        assertThat(fresh).matches("[0-9a-f]{64}").isNotEqualTo(old);
        assertThat(rotated.json().path("retiringSecret").asText()).isEqualTo(old);
        assertThat(basic(client[0], old)).as("old secret, Basic").isEqualTo(200);
        assertThat(basic(client[0], fresh)).as("new secret, Basic").isEqualTo(200);
        assertThat(token(client[0], old)).as("old secret, token endpoint").isEqualTo(200);
        assertThat(token(client[0], fresh)).isEqualTo(200);

        var wrongStep = project.api().post(rotate(client[0]), parameters("retiringSecret", fresh));
        assertThat(wrongStep.status()).isEqualTo(400);
        assertThat(wrongStep.outcomeText()).isEqualTo("Provided secret does not match client");

        var cleared = project.api().post(rotate(client[0]), parameters("retiringSecret", old));
        assertThat(cleared.status()).as(cleared.toString()).isEqualTo(200);
        assertThat(cleared.json().has("retiringSecret")).isFalse();
        assertThat(cleared.json().path("secret").asText()).isEqualTo(fresh);
        assertThat(basic(client[0], old)).as("retired: refused at once, cache or not").isEqualTo(401);
        assertThat(token(client[0], old)).isEqualTo(400);
        assertThat(basic(client[0], fresh)).isEqualTo(200);
    }

    @Test
    void a_second_rotation_retires_the_current_secret_and_drops_the_previous_one() {
        TestProject project = AdminProjects.create(SERVER);
        String[] client = client(project);
        String first = client[1];
        String second = project.api().post(rotate(client[0]), parameters("secret", first)).json().path("secret").asText();
        var again = project.api().post(rotate(client[0]), "{\"secret\":\"" + second + "\"}"); // a plain object works too
        assertThat(again.status()).as(again.toString()).isEqualTo(200);
        assertThat(again.json().path("retiringSecret").asText()).isEqualTo(second);
        assertThat(basic(client[0], first)).isEqualTo(401);
        assertThat(basic(client[0], second)).isEqualTo(200);
        assertThat(basic(client[0], again.json().path("secret").asText())).isEqualTo(200);
    }

    @Test
    void two_rotations_at_once_leave_one_consistent_pair_of_secrets() throws Exception {
        TestProject project = AdminProjects.create(SERVER);
        String[] client = client(project);
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
            var first = pool.submit(() -> project.api().post(rotate(client[0]), parameters("secret", client[1])));
            var second = pool.submit(() -> project.api().post(rotate(client[0]), parameters("secret", client[1])));
            var replies = java.util.List.of(first.get(), second.get());
            assertThat(replies.stream().filter(r -> r.status() == 200).count()).as(replies.toString()).isEqualTo(1);
            assertThat(replies.stream().filter(r -> r.status() != 200).map(Api.Reply::status).toList())
                    .as("the loser sees the secret moved on, or the version it read replaced").allMatch(s -> s == 400 || s == 412);
            var winner = replies.stream().filter(r -> r.status() == 200).findFirst().orElseThrow().json();
            assertThat(winner.path("retiringSecret").asText()).isEqualTo(client[1]);
            assertThat(basic(client[0], winner.path("secret").asText())).isEqualTo(200);
            assertThat(basic(client[0], client[1])).isEqualTo(200);
        }
    }

    @Test
    void parameters_that_are_missing_both_wrong_or_of_the_wrong_type_are_400() {
        TestProject project = AdminProjects.create(SERVER);
        String[] client = client(project);
        String[][] cases = {
                {"{\"resourceType\":\"Parameters\",\"parameter\":[]}", "Secret to rotate must be provided"},
                {"{}", "Secret to rotate must be provided"},
                {parameters("secret", ""), "Secret to rotate must be provided"},
                {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"secret\",\"valueString\":\"" + client[1]
                        + "\"},{\"name\":\"retiringSecret\",\"valueString\":\"x\"}]}", "Only one secret can be rotated at a time"},
                {parameters("secret", "wrong"), "Provided secret does not match client"},
                {parameters("retiringSecret", client[1]), "Provided secret does not match client"},
                {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"secret\",\"valueBoolean\":true}]}",
                        "Invalid parameter secret: expected a string"},
                {"{\"resourceType\":\"Parameters\",\"parameter\":{}}", "Invalid Parameters: parameter must be an array"},
                {"{\"resourceType\":\"Parameters\",\"parameter\":[{\"valueString\":\"x\"}]}", "Invalid Parameters: each parameter needs a name"},
                {"{\"resourceType\":\"Bundle\"}", "Expected a Parameters resource"},
        };
        for (String[] c : cases) {
            var reply = project.api().post(rotate(client[0]), c[0]);
            assertThat(reply.status()).as(c[0]).isEqualTo(400);
            assertThat(reply.outcomeText()).as(c[0]).isEqualTo(c[1]);
        }
        assertThat(project.api().post(rotate(client[0]), "{\"secret\":").status()).isEqualTo(400);
        assertThat(project.api().raw("POST", rotate(client[0]), "text/plain", "x".getBytes()).status()).isEqualTo(415);
        byte[] huge = ("{\"secret\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}").getBytes();
        assertThat(AdminProjects.postTooLarge(project.api(), rotate(client[0]), huge).status()).isEqualTo(413);
        assertThat(basic(client[0], client[1])).as("still the original secret").isEqualTo(200);
    }

    @Test
    void only_admins_of_the_clients_project_and_super_admins_may_rotate() {
        TestProject project = AdminProjects.create(SERVER);
        String[] client = client(project);
        TestProject otherAdmin = AdminProjects.create(SERVER);
        TestProject plain = SERVER.newProject();
        // the client itself is not an admin
        assertThat(new Api(SERVER.baseUrl(), client[0], client[1]).post(rotate(client[0]), parameters("secret", client[1])).status())
                .isEqualTo(403);
        assertThat(plain.api().post(rotate(plain.clientId()), parameters("secret", plain.secret())).status()).isEqualTo(403);
        var foreign = otherAdmin.api().post(rotate(client[0]), parameters("secret", client[1]));
        assertThat(foreign.status()).as("another project's client does not exist for it").isEqualTo(404);
        assertThat(project.api().post(rotate(UUID.randomUUID().toString()), parameters("secret", "x")).status()).isEqualTo(404);
        assertThat(project.api().post(rotate("x".repeat(65)), parameters("secret", "x")).status()).isEqualTo(400);
        assertThat(SERVER.anonymous().post(rotate(client[0]), parameters("secret", client[1])).status()).isEqualTo(401);
        assertThat(basic(client[0], client[1])).isEqualTo(200);

        var bySuperAdmin = SERVER.admin().post(rotate(client[0]), parameters("secret", client[1]));
        assertThat(bySuperAdmin.status()).as(bySuperAdmin.toString()).isEqualTo(200);
        assertThat(bySuperAdmin.json().path("retiringSecret").asText()).isEqualTo(client[1]);
        // the project admin rotating its own secret
        var own = project.api().post(rotate(project.clientId()), parameters("secret", project.secret()));
        assertThat(own.status()).as(own.toString()).isEqualTo(200);
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }
}
