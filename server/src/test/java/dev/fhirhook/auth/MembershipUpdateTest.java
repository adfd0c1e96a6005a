package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** {@code POST /admin/projects/{projectId}/members/{membershipId}}: what may change, who may change it, and when it counts. */
class MembershipUpdateTest {
    private static final TestServer SERVER = TestServer.get();

    /** A client of the project (not admin) made by its admin; returns [clientId, secret, membershipId]. */
    private static String[] member(TestProject project, String body) {
        var reply = project.api().post("/admin/projects/" + project.projectId() + "/client", body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        String id = reply.json().path("id").asText();
        return new String[] {id, reply.json().path("secret").asText(),
                AdminProjects.membershipOf(SERVER, "ClientApplication/" + id).path("id").asText()};
    }

    private static String path(TestProject project, String membershipId) {
        return "/admin/projects/" + project.projectId() + "/members/" + membershipId;
    }

    private static JsonNode stored(String membershipId) {
        return SERVER.admin().get("/fhir/R4/ProjectMembership/" + membershipId).json();
    }

    @Test
    void an_admin_sets_and_removes_the_policy_and_access_entries() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = member(project, "{\"name\":\"member\"}");
        String policy = AdminProjects.policy(SERVER, project.projectId(), "p1");
        String other = AdminProjects.policy(SERVER, project.projectId(), "p2");
        var set = project.api().post(path(project, member[2]), """
                {"accessPolicy":{"reference":"AccessPolicy/%s"},
                 "access":[{"policy":{"reference":"AccessPolicy/%s"},"parameter":[{"name":"org","valueString":"x"}]}]}"""
                .formatted(policy, other));
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.json().path("accessPolicy").path("reference").asText()).isEqualTo("AccessPolicy/" + policy);
        assertThat(set.json().path("access").path(0).path("policy").path("reference").asText()).isEqualTo("AccessPolicy/" + other);
        assertThat(set.json().path("access").path(0).path("parameter").path(0).path("valueString").asText()).isEqualTo("x");
        assertThat(set.json().path("user").path("reference").asText()).isEqualTo("ClientApplication/" + member[0]);

        var removed = project.api().post(path(project, member[2]), "{\"accessPolicy\":null}");
        assertThat(removed.status()).as(removed.toString()).isEqualTo(200);
        assertThat(removed.json().has("accessPolicy")).isFalse();
        assertThat(removed.json().path("access").size()).as("fields not named are kept").isEqualTo(1);
        assertThat(stored(member[2]).has("accessPolicy")).isFalse();
    }

    @Test
    void the_whole_resource_replaces_the_four_fields_and_identity_fields_cannot_change() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = member(project, "{\"name\":\"member\"}");
        String policy = AdminProjects.policy(SERVER, project.projectId(), "p");
        assertThat(project.api().post(path(project, member[2]), "{\"accessPolicy\":{\"reference\":\"AccessPolicy/" + policy + "\"}}")
                .status()).isEqualTo(200);
        var whole = (ObjectNode) stored(member[2]);
        whole.remove("accessPolicy");
        whole.put("admin", true);
        var replaced = project.api().post(path(project, member[2]), whole.toString());
        assertThat(replaced.status()).as(replaced.toString()).isEqualTo(200);
        assertThat(replaced.json().has("accessPolicy")).as("left out of the whole resource: removed").isFalse();
        assertThat(replaced.json().path("admin").asBoolean()).isTrue();

        for (String field : new String[] {"user", "profile", "project"}) {
            var changed = (ObjectNode) stored(member[2]);
            changed.putObject(field).put("reference", "ClientApplication/" + project.clientId());
            var reply = project.api().post(path(project, member[2]), changed.toString());
            assertThat(reply.status()).as(field).isEqualTo(400);
            assertThat(reply.outcomeText()).isEqualTo("Cannot change ProjectMembership." + field);
        }
        var wrongType = project.api().post(path(project, member[2]), "{\"resourceType\":\"Patient\"}");
        assertThat(wrongType.status()).isEqualTo(400);
        assertThat(wrongType.outcomeText()).isEqualTo("Wrong resource type");
        assertThat(project.api().post(path(project, member[2]), "{\"resourceType\":\"ProjectMembership\",\"id\":\"other\"}")
                .outcomeText()).isEqualTo("Incorrect ID");
    }

    @Test
    void deactivating_a_member_takes_effect_on_its_next_request_with_basic_and_bearer() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = member(project, "{\"name\":\"member\"}");
        var basic = new Api(SERVER.baseUrl(), member[0], member[1]);
        var tokenReply = SERVER.anonymous().send(SERVER.anonymous().request("/oauth2/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=" + member[0]
                        + "&client_secret=" + member[1])));
        String token = tokenReply.json().path("access_token").asText();
        var bearer = SERVER.anonymous().request("/fhir/R4/Patient?_count=1").header("Authorization", "Bearer " + token);
        assertThat(basic.get("/fhir/R4/Patient?_count=1").status()).isEqualTo(200); // now in the Basic cache
        assertThat(SERVER.anonymous().send(bearer.GET()).status()).isEqualTo(200);

        assertThat(project.api().post(path(project, member[2]), "{\"active\":false}").status()).isEqualTo(200);
        assertThat(basic.get("/fhir/R4/Patient?_count=1").status()).isEqualTo(401);
        assertThat(SERVER.anonymous().send(bearer.GET()).status()).isEqualTo(401);

        assertThat(project.api().post(path(project, member[2]), "{\"active\":true}").status()).isEqualTo(200);
        assertThat(basic.get("/fhir/R4/Patient?_count=1").status()).isEqualTo(200);
    }

    @Test
    void granting_and_taking_admin_takes_effect_at_once() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = member(project, "{\"name\":\"member\"}");
        var api = new Api(SERVER.baseUrl(), member[0], member[1]);
        String clients = "/admin/projects/" + project.projectId() + "/client";
        assertThat(api.post(clients, "{\"name\":\"x\"}").status()).isEqualTo(403);
        assertThat(project.api().post(path(project, member[2]), "{\"admin\":true}").status()).isEqualTo(200);
        assertThat(api.post(clients, "{\"name\":\"x\"}").status()).isEqualTo(201);
        assertThat(project.api().post(path(project, member[2]), "{\"admin\":false}").status()).isEqualTo(200);
        assertThat(api.post(clients, "{\"name\":\"y\"}").status()).isEqualTo(403);
    }

    @Test
    void an_admin_cannot_change_the_policies_of_its_own_membership_but_the_super_admin_can() {
        TestProject project = AdminProjects.create(SERVER);
        String policy = AdminProjects.policy(SERVER, project.projectId(), "restricting");
        var superAdmin = SERVER.admin();
        assertThat(superAdmin.post(path(project, project.membershipId()), "{\"accessPolicy\":{\"reference\":\"AccessPolicy/"
                + policy + "\"}}").status()).isEqualTo(200);
        var lift = project.api().post(path(project, project.membershipId()), "{\"accessPolicy\":null}");
        assertThat(lift.status()).isEqualTo(403);
        assertThat(lift.outcomeText()).isEqualTo("Forbidden: cannot change the access policies of your own membership");
        assertThat(project.api().post(path(project, project.membershipId()), "{\"access\":[]}").status()).isEqualTo(403);
        assertThat(stored(project.membershipId()).path("accessPolicy").path("reference").asText()).isEqualTo("AccessPolicy/" + policy);
        // changing nothing about its policies is fine
        assertThat(project.api().post(path(project, project.membershipId()), "{\"accessPolicy\":{\"reference\":\"AccessPolicy/"
                + policy + "\"}}").status()).isEqualTo(200);
        assertThat(superAdmin.post(path(project, project.membershipId()), "{\"accessPolicy\":null}").status()).isEqualTo(200);
    }

    @Test
    void callers_projects_and_memberships_that_do_not_fit_are_refused() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = member(project, "{\"name\":\"member\"}");
        TestProject plain = SERVER.newProject();
        TestProject otherAdmin = AdminProjects.create(SERVER);
        // not an admin
        assertThat(plain.api().post(path(plain, plain.membershipId()), "{\"admin\":true}").status()).isEqualTo(403);
        assertThat(new Api(SERVER.baseUrl(), member[0], member[1]).post(path(project, member[2]), "{\"admin\":true}").status())
                .isEqualTo(403);
        // an admin of another project, through that project's path or its own
        assertThat(otherAdmin.api().post(path(project, member[2]), "{\"active\":false}").status()).isEqualTo(403);
        assertThat(otherAdmin.api().post(path(otherAdmin, member[2]), "{\"active\":false}").status()).isEqualTo(404);
        // another project's membership through the right project's path
        assertThat(project.api().post(path(project, plain.membershipId()), "{\"active\":false}").status()).isEqualTo(404);
        assertThat(project.api().post(path(project, UUID.randomUUID().toString()), "{\"active\":false}").status()).isEqualTo(404);
        assertThat(project.api().post(path(project, "not-a-uuid"), "{\"active\":false}").status()).isEqualTo(404);
        assertThat(project.api().post(path(project, "x".repeat(65)), "{\"active\":false}").status()).isEqualTo(400);
        // project ids: unknown, malformed, and the super admin naming one that does not exist
        String unknownProject = "/admin/projects/" + UUID.randomUUID() + "/members/" + member[2];
        assertThat(project.api().post(unknownProject, "{\"active\":false}").status()).isEqualTo(403);
        assertThat(SERVER.admin().post(unknownProject, "{\"active\":false}").status()).isEqualTo(404);
        assertThat(SERVER.admin().post("/admin/projects/a%27b/members/" + member[2], "{\"active\":false}").status()).isEqualTo(400);
        assertThat(SERVER.anonymous().post(path(project, member[2]), "{\"active\":false}").status()).isEqualTo(401);
        assertThat(stored(member[2]).path("active").asBoolean(true)).isTrue();
        assertThat(stored(plain.membershipId()).path("active").asBoolean(true)).isTrue();
    }

    @Test
    void bad_values_are_400_and_change_nothing() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = member(project, "{\"name\":\"member\"}");
        TestProject other = SERVER.newProject();
        String foreign = AdminProjects.policy(SERVER, other.projectId(), "foreign");
        String version = stored(member[2]).path("meta").path("versionId").asText();
        String[][] cases = {
                {"{\"admin\":\"yes\"}", "Invalid admin: must be true or false"},
                {"{\"active\":1}", "Invalid active: must be true or false"},
                {"{\"accessPolicy\":{\"reference\":\"AccessPolicy/" + foreign + "\"}}", "Invalid access policy: not found in this project"},
                {"{\"accessPolicy\":\"AccessPolicy/x\"}", "Invalid access policy: expected a reference"},
                {"{\"access\":{}}", "Invalid access: must be an array"},
                {"{\"access\":[1]}", "Invalid access[0]: must be an object"},
                {"{\"access\":[{}]}", "Invalid access policy: expected a reference"},
                {"{\"access\":[{\"policy\":{\"reference\":\"AccessPolicy/" + foreign + "\"}}]}", "Invalid access policy: not found in this project"},
                {"{\"access\":[{\"policy\":{\"reference\":\"AccessPolicy/" + AdminProjects.policy(SERVER, project.projectId(), "ok")
                        + "\"},\"parameter\":[{\"valueString\":\"x\"}]}]}", "Invalid access[0].parameter: each parameter needs a name and a value"},
        };
        for (String[] c : cases) {
            var reply = project.api().post(path(project, member[2]), c[0]);
            assertThat(reply.status()).as(c[0]).isEqualTo(400);
            assertThat(reply.outcomeText()).as(c[0]).isEqualTo(c[1]);
        }
        assertThat(project.api().post(path(project, member[2]), "{\"active\":").status()).isEqualTo(400);
        assertThat(project.api().post(path(project, member[2]), "[]").status()).isEqualTo(400);
        assertThat(project.api().raw("POST", path(project, member[2]), "text/plain", "{}".getBytes()).status()).isEqualTo(415);
        byte[] huge = ("{\"admin\":true,\"x\":\"" + "x".repeat(2 * 1024 * 1024) + "\"}").getBytes();
        assertThat(AdminProjects.postTooLarge(project.api(), path(project, member[2]), huge).status()).isEqualTo(413);
        assertThat(stored(member[2]).path("meta").path("versionId").asText()).as("nothing was written").isEqualTo(version);
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }
}
