package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code POST /admin/projects/{projectId}/client} through HTTP: who may call it, what it writes, and bad input. */
class ClientRegistrationTest {
    private static final TestServer SERVER = TestServer.get();

    private static String path(String projectId) {
        return "/admin/projects/" + projectId + "/client";
    }

    @Test
    void a_project_admin_creates_a_client_with_a_generated_secret_and_its_membership() {
        TestProject project = AdminProjects.create(SERVER);
        var reply = project.api().post(path(project.projectId()), "{\"name\":\"webhook sender\",\"description\":\"Stripe\"}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        var client = reply.json();
        assertThat(client.path("resourceType").asText()).isEqualTo("ClientApplication");
        assertThat(client.path("name").asText()).isEqualTo("webhook sender");
        assertThat(client.path("description").asText()).isEqualTo("Stripe");
        assertThat(client.path("secret").asText()).matches("[0-9a-f]{64}");
        assertThat(client.path("meta").path("project").asText()).isEqualTo(project.projectId());
        assertThat(reply.header("Location")).endsWith("/fhir/R4/ClientApplication/" + client.path("id").asText());

        var membership = AdminProjects.membershipOf(SERVER, "ClientApplication/" + client.path("id").asText());
        assertThat(membership.path("project").path("reference").asText()).isEqualTo("Project/" + project.projectId());
        assertThat(membership.path("profile").path("reference").asText()).isEqualTo("ClientApplication/" + client.path("id").asText());
        assertThat(membership.has("accessPolicy")).isFalse();
        assertThat(membership.path("admin").asBoolean(false)).isFalse();

        var created = new Api(SERVER.baseUrl(), client.path("id").asText(), client.path("secret").asText());
        assertThat(created.get("/fhir/R4/Patient?_count=1").status()).as("the new client can authenticate").isEqualTo(200);
        assertThat(created.post(path(project.projectId()), "{\"name\":\"x\"}").status())
                .as("a client that is not admin cannot create clients").isEqualTo(403);
    }

    @Test
    void an_access_policy_of_the_project_goes_on_the_membership() {
        TestProject project = AdminProjects.create(SERVER);
        String policy = AdminProjects.policy(SERVER, project.projectId(), "patients only");
        var reply = project.api().post(path(project.projectId()), """
                {"name":"limited","accessPolicy":{"reference":"AccessPolicy/%s"}}""".formatted(policy));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        var membership = AdminProjects.membershipOf(SERVER, "ClientApplication/" + reply.json().path("id").asText());
        assertThat(membership.path("accessPolicy").path("reference").asText()).isEqualTo("AccessPolicy/" + policy);
    }

    @Test
    void the_super_admin_makes_the_first_admin_client_and_the_project_then_runs_without_it() {
        TestProject project = AdminProjects.create(SERVER); // super admin: POST .../client with admin: true
        var membership = AdminProjects.membershipOf(SERVER, "ClientApplication/" + project.clientId());
        assertThat(membership.path("admin").asBoolean()).isTrue();
        // the project's own admin now creates further admins and clients, no super admin involved
        var second = project.api().post(path(project.projectId()), "{\"name\":\"second admin\",\"admin\":true}");
        assertThat(second.status()).as(second.toString()).isEqualTo(201);
        var secondApi = new Api(SERVER.baseUrl(), second.json().path("id").asText(), second.json().path("secret").asText());
        assertThat(secondApi.post(path(project.projectId()), "{\"name\":\"third\"}").status()).isEqualTo(201);
        // and stays inside its project
        TestProject other = SERVER.newProject();
        assertThat(project.api().post(path(other.projectId()), "{\"name\":\"intruder\"}").status()).isEqualTo(403);
        assertThat(AdminProjects.countByName(SERVER, "ClientApplication", other.projectId(), "intruder")).isZero();
    }

    @Test
    void callers_that_are_not_admins_of_the_project_get_403() {
        TestProject plain = SERVER.newProject(); // its membership is not admin
        var reply = plain.api().post(path(plain.projectId()), "{\"name\":\"mine\"}");
        assertThat(reply.status()).isEqualTo(403);
        assertThat(reply.json().path("id").asText()).isEqualTo("forbidden");
        assertThat(reply.outcomeText()).isEqualTo("Forbidden");
        assertThat(SERVER.anonymous().post(path(plain.projectId()), "{\"name\":\"anon\"}").status()).isEqualTo(401);
        assertThat(new Api(SERVER.baseUrl(), plain.clientId(), "wrong").post(path(plain.projectId()), "{\"name\":\"x\"}").status())
                .isEqualTo(401);
        assertThat(AdminProjects.count(SERVER, "ClientApplication", plain.projectId())).isEqualTo(1);
    }

    @Test
    void project_ids_that_are_unknown_malformed_or_someone_elses() {
        TestProject project = AdminProjects.create(SERVER);
        String unknown = UUID.randomUUID().toString();
        assertThat(project.api().post(path(unknown), "{\"name\":\"x\"}").status()).as("unknown: same as another's").isEqualTo(403);
        assertThat(project.api().post(path("not-a-uuid"), "{\"name\":\"x\"}").status()).isEqualTo(403);
        var superAdmin = SERVER.admin();
        var missing = superAdmin.post(path(unknown), "{\"name\":\"x\"}");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.outcomeText()).isEqualTo("Project not found");
        assertThat(superAdmin.post(path("not-a-uuid"), "{\"name\":\"x\"}").status()).isEqualTo(404);
        for (String bad : new String[] {"a%20b", "%00", "x".repeat(65), "a'b"}) {
            var reply = superAdmin.post(path(bad), "{\"name\":\"x\"}");
            assertThat(reply.status()).as(bad).isEqualTo(400);
        }
    }

    @Test
    void a_name_is_required() {
        TestProject project = AdminProjects.create(SERVER);
        for (String body : new String[] {"{}", "{\"name\":\"\"}", "{\"name\":\"   \"}", "{\"description\":\"no name\"}"}) {
            var reply = project.api().post(path(project.projectId()), body);
            assertThat(reply.status()).as(body).isEqualTo(400);
            assertThat(reply.outcomeText()).as(body).isEqualTo("Client name is required");
        }
        var number = project.api().post(path(project.projectId()), "{\"name\":42}");
        assertThat(number.status()).isEqualTo(400);
        assertThat(number.outcomeText()).isEqualTo("Invalid name: must be a string");
        assertThat(AdminProjects.count(SERVER, "ClientApplication", project.projectId())).isEqualTo(1);
    }

    @Test
    void another_projects_policy_or_a_missing_one_is_refused_and_nothing_is_left_behind() {
        TestProject project = AdminProjects.create(SERVER);
        TestProject other = SERVER.newProject();
        String foreign = AdminProjects.policy(SERVER, other.projectId(), "theirs");
        for (String policy : new String[] {"{\"reference\":\"AccessPolicy/" + foreign + "\"}",
                "{\"reference\":\"AccessPolicy/" + UUID.randomUUID() + "\"}", "{\"reference\":\"Patient/123\"}",
                "{\"reference\":\"AccessPolicy/../x\"}", "\"AccessPolicy/" + foreign + "\"", "{}", "[]"}) {
            String name = "orphan " + UUID.randomUUID();
            var reply = project.api().post(path(project.projectId()), "{\"name\":\"" + name + "\",\"accessPolicy\":" + policy + "}");
            assertThat(reply.status()).as(policy).isEqualTo(400);
            assertThat(reply.outcomeText()).as(policy).startsWith("Invalid access policy");
            assertThat(AdminProjects.countByName(SERVER, "ClientApplication", project.projectId(), name))
                    .as("the client was rolled back with its membership").isZero();
        }
        assertThat(AdminProjects.count(SERVER, "ProjectMembership", project.projectId())).isEqualTo(1);
    }

    @Test
    void fields_of_the_wrong_type_or_shape_are_400() {
        TestProject project = AdminProjects.create(SERVER);
        String[][] cases = {
                {"{\"name\":\"x\",\"admin\":\"yes\"}", "Invalid admin: must be true or false"},
                {"{\"name\":\"x\",\"description\":7}", "Invalid description: must be a string"},
                {"{\"name\":\"x\",\"status\":\"maybe\"}", "Invalid status: must be active, off or error"},
                {"{\"name\":\"x\",\"redirectUris\":\"https://a\"}", "Invalid redirectUris: must be a non-empty array of strings"},
                {"{\"name\":\"x\",\"redirectUris\":[1]}", "Invalid redirectUris: must be a non-empty array of strings"},
                {"{\"name\":\"x\",\"accessTokenLifetime\":\"1 hour\"}", "Invalid accessTokenLifetime: must be a number followed by s, m, h, d, w or y"},
                {"{\"name\":\"x\",\"pkceOptional\":1}", "Invalid pkceOptional: must be true or false"},
                {"{\"name\":\"x\",\"secret\":\"short\"}", "Client secret must be at least 16 characters"},
                {"{\"name\":\"x\",\"secret\":[\"a\"]}", "Invalid secret: must be a string"},
                {"{\"name\":\"x\\u0000y\"}", "Invalid string: contains the NUL character"},
        };
        for (String[] c : cases) {
            var reply = project.api().post(path(project.projectId()), c[0]);
            assertThat(reply.status()).as(c[0]).isEqualTo(400);
            assertThat(reply.outcomeText()).as(c[0]).isEqualTo(c[1]);
        }
        assertThat(AdminProjects.count(SERVER, "ClientApplication", project.projectId())).isEqualTo(1);
    }

    @Test
    void malformed_bodies_media_types_and_huge_bodies() {
        TestProject project = AdminProjects.create(SERVER);
        String p = path(project.projectId());
        assertThat(project.api().post(p, "{\"name\":").status()).isEqualTo(400);
        assertThat(project.api().post(p, "{\"name\":\"a\",\"name\":\"b\"}").outcomeText()).contains("duplicate key");
        assertThat(project.api().post(p, "[{\"name\":\"a\"}]").status()).isEqualTo(400);
        assertThat(project.api().post(p, "\"name\"").status()).isEqualTo(400);
        assertThat(project.api().post(p, "").status()).isEqualTo(400);
        assertThat(project.api().raw("POST", p, "text/plain", "{\"name\":\"a\"}".getBytes()).status()).isEqualTo(415);
        assertThat(project.api().raw("POST", p, "application/json", "{\"name\":\"a\"}".getBytes()).status()).isEqualTo(201);
        byte[] huge = ("{\"name\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}").getBytes();
        assertThat(AdminProjects.postTooLarge(project.api(), p, huge).status()).isEqualTo(413);
        assertThat(project.api().get(p).status()).as("only POST").isEqualTo(405);
        assertThat(AdminProjects.count(SERVER, "ClientApplication", project.projectId())).isEqualTo(2);
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_caller_chosen_secret_of_sixteen_characters_or_more_is_kept() {
        TestProject project = AdminProjects.create(SERVER);
        String secret = "chosen-secret-" + UUID.randomUUID();
        var reply = project.api().post(path(project.projectId()), "{\"name\":\"chosen\",\"secret\":\"" + secret + "\",\"status\":\"active\"}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        assertThat(reply.json().path("secret").asText()).isEqualTo(secret);
        assertThat(new Api(SERVER.baseUrl(), reply.json().path("id").asText(), secret).get("/fhir/R4/Patient?_count=1").status())
                .isEqualTo(200);
    }
}
