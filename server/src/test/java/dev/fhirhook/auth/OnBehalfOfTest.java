package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/** {@code X-Medplum-On-Behalf-Of} (medplum-compat §12.2): who may send it, and what the request then runs as. */
class OnBehalfOfTest {
    private static final TestServer SERVER = TestServer.get();
    private static final String HEADER = "X-Medplum-On-Behalf-Of";
    private static final String PATIENT = "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Behalf\"}]}";

    /** A client of the project made by its admin, restricted to Patient: [clientId, secret, membershipId]. */
    private static String[] restrictedMember(TestProject project) {
        String policy = AdminProjects.policy(SERVER, project.projectId(), "patients only");
        var reply = project.api().post("/admin/projects/" + project.projectId() + "/client",
                "{\"name\":\"member\",\"accessPolicy\":{\"reference\":\"AccessPolicy/" + policy + "\"}}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        String id = reply.json().path("id").asText();
        return new String[] {id, reply.json().path("secret").asText(),
                AdminProjects.membershipOf(SERVER, "ClientApplication/" + id).path("id").asText()};
    }

    private static Api.Reply get(Api api, String path, String onBehalfOf) {
        return api.send(api.request(path).header(HEADER, onBehalfOf).GET());
    }

    private static Api.Reply post(Api api, String path, String body, String onBehalfOf) {
        return api.send(api.request(path).header(HEADER, onBehalfOf).header("Content-Type", Api.FHIR_JSON)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static long patients(String projectId) {
        return AdminProjects.count(SERVER, "Patient", projectId);
    }

    @Test
    void an_admin_acting_on_behalf_of_a_restricted_member_sees_and_writes_as_that_member() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = restrictedMember(project);
        var admin = project.api();
        assertThat(admin.get("/fhir/R4/Observation").status()).as("the admin alone").isEqualTo(200);

        for (String onBehalfOf : new String[] {"ProjectMembership/" + member[2], "ClientApplication/" + member[0],
                " ProjectMembership/" + member[2] + " "}) {
            assertThat(get(admin, "/fhir/R4/Observation", onBehalfOf).status()).as(onBehalfOf).isEqualTo(403);
            assertThat(get(admin, "/fhir/R4/ClientApplication", onBehalfOf).status()).as(onBehalfOf).isEqualTo(403);
            var created = post(admin, "/fhir/R4/Patient", PATIENT, onBehalfOf);
            assertThat(created.status()).as(created.toString()).isEqualTo(201);
            assertThat(created.json().path("meta").path("author").path("reference").asText())
                    .isEqualTo("ClientApplication/" + member[0]);
            assertThat(created.json().path("meta").path("project").asText()).isEqualTo(project.projectId());
        }
        // as the member, which is no admin, the admin routes are closed
        var client = post(admin, "/admin/projects/" + project.projectId() + "/client", "{\"name\":\"x\"}",
                "ProjectMembership/" + member[2]);
        assertThat(client.status()).as(client.toString()).isEqualTo(403);

        // the super admin may act as any project's member, and is then just as restricted
        var superAdmin = SERVER.admin();
        assertThat(get(superAdmin, "/fhir/R4/Observation", "ProjectMembership/" + member[2]).status()).isEqualTo(403);
        var asMember = post(superAdmin, "/fhir/R4/Patient", PATIENT, "ProjectMembership/" + member[2]);
        assertThat(asMember.status()).as(asMember.toString()).isEqualTo(201);
        assertThat(asMember.json().path("meta").path("project").asText()).isEqualTo(project.projectId());
        assertThat(asMember.json().path("meta").path("author").path("reference").asText()).isEqualTo("ClientApplication/" + member[0]);
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_member_that_is_not_an_admin_cannot_act_on_behalf_of_anyone() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = restrictedMember(project);
        var api = new Api(SERVER.baseUrl(), member[0], member[1]);
        long before = patients(project.projectId());
        for (String onBehalfOf : new String[] {"ProjectMembership/" + project.membershipId(), "ProjectMembership/" + member[2],
                "ClientApplication/" + project.clientId(), "junk"}) {
            var reply = post(api, "/fhir/R4/Patient", PATIENT, onBehalfOf);
            assertThat(reply.status()).as(onBehalfOf + " " + reply).isEqualTo(403);
            assertThat(get(api, "/fhir/R4/Patient", onBehalfOf).status()).isEqualTo(403);
        }
        assertThat(patients(project.projectId())).as("nothing written").isEqualTo(before);
        assertThat(api.get("/fhir/R4/Patient").status()).as("without the header, as before").isEqualTo(200);
    }

    @Test
    void other_projects_unknown_inactive_and_malformed_memberships_are_refused() {
        TestProject project = AdminProjects.create(SERVER);
        TestProject elsewhere = AdminProjects.create(SERVER);
        String[] member = restrictedMember(project);
        String[] foreign = restrictedMember(elsewhere);
        var admin = project.api();
        long before = patients(project.projectId());

        for (String onBehalfOf : new String[] {"ProjectMembership/" + foreign[2], "ClientApplication/" + foreign[0],
                "ProjectMembership/" + elsewhere.membershipId(), "ProjectMembership/00000000-0000-0000-0000-000000000000",
                "Patient/00000000-0000-0000-0000-000000000000", "ProjectMembership/" + project.projectId()}) {
            var reply = post(admin, "/fhir/R4/Patient", PATIENT, onBehalfOf);
            assertThat(reply.status()).as(onBehalfOf + " " + reply).isEqualTo(404);
        }
        for (String onBehalfOf : new String[] {"", "junk", "ProjectMembership", "ProjectMembership/", "/" + member[2],
                "ProjectMembership/" + member[2] + "/_history/1", "ProjectMembership/../" + member[2],
                "ProjectMembership/" + "x".repeat(65), "{\"reference\":\"ProjectMembership/" + member[2] + "\"}",
                "ProjectMembership/" + member[2] + ", ProjectMembership/" + member[2], "projectmembership/" + member[2],
                "http://evil.example/ProjectMembership/" + member[2]}) {
            var reply = post(admin, "/fhir/R4/Patient", PATIENT, onBehalfOf);
            assertThat(reply.status()).as("[" + onBehalfOf + "] " + reply).isEqualTo(400);
            assertThat(reply.outcomeText()).isEqualTo("Invalid X-Medplum-On-Behalf-Of header");
        }
        var twice = admin.send(admin.request("/fhir/R4/Patient").header(HEADER, "ProjectMembership/" + member[2])
                .header(HEADER, "ProjectMembership/" + project.membershipId()).GET());
        assertThat(twice.status()).as(twice.toString()).isEqualTo(400);

        assertThat(admin.post("/admin/projects/" + project.projectId() + "/members/" + member[2], "{\"active\":false}").status())
                .isEqualTo(200);
        var inactive = post(admin, "/fhir/R4/Patient", PATIENT, "ProjectMembership/" + member[2]);
        assertThat(inactive.status()).as(inactive.toString()).isEqualTo(403);
        assertThat(inactive.outcomeText()).isEqualTo("ProjectMembership is not active");

        assertThat(patients(project.projectId())).as("nothing written").isEqualTo(before);
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void acting_on_behalf_of_an_admin_member_keeps_the_own_membership_rule_for_that_member() {
        TestProject project = AdminProjects.create(SERVER);
        String[] member = restrictedMember(project);
        assertThat(project.api().post("/admin/projects/" + project.projectId() + "/members/" + member[2], "{\"admin\":true}")
                .status()).isEqualTo(200);
        String path = "/fhir/R4/ProjectMembership/" + member[2];
        JsonNode pm = get(project.api(), path, "ProjectMembership/" + member[2]).json();
        var lifted = ((com.fasterxml.jackson.databind.node.ObjectNode) pm.deepCopy());
        lifted.remove("accessPolicy");
        var reply = project.api().send(project.api().request(path).header(HEADER, "ProjectMembership/" + member[2])
                .header("Content-Type", Api.FHIR_JSON).PUT(HttpRequest.BodyPublishers.ofString(lifted.toString())));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(403);
        assertThat(reply.outcomeText()).isEqualTo("Forbidden: cannot change the access policies of your own membership");
    }
}
