package dev.fhirhook.fhir;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ProjectIsolationTest {
    static TestProject a;
    static TestProject b;
    static String patientId;
    static String versionId;

    @BeforeAll
    static void two_projects() {
        a = TestServer.get().newProject();
        b = TestServer.get().newProject();
        var created = a.api().post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Alpha\"}]}");
        assertThat(created.status()).isEqualTo(201);
        patientId = created.json().get("id").asText();
        versionId = created.json().path("meta").path("versionId").asText();
        assertThat(created.json().path("meta").path("project").asText()).isEqualTo(a.projectId());
    }

    @Test
    void another_project_cannot_read_vread_or_see_history() {
        assertNotFound(b.api().get("/fhir/R4/Patient/" + patientId));
        assertNotFound(b.api().get("/fhir/R4/Patient/" + patientId + "/_history/" + versionId));
        assertNotFound(b.api().get("/fhir/R4/Patient/" + patientId + "/_history"));
        var typeHistory = b.api().get("/fhir/R4/Patient/_history");
        assertThat(typeHistory.status()).isEqualTo(200);
        assertThat(typeHistory.body()).doesNotContain(patientId);
        assertThat(a.api().get("/fhir/R4/Patient/_history").body()).contains(patientId);
    }

    @Test
    void another_project_cannot_update_patch_or_delete() {
        assertNotFound(b.api().put("/fhir/R4/Patient/" + patientId,
                "{\"resourceType\":\"Patient\",\"id\":\"" + patientId + "\",\"name\":[{\"family\":\"Hijacked\"}]}"));
        assertNotFound(b.api().patch("/fhir/R4/Patient/" + patientId, "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]"));
        assertNotFound(b.api().delete("/fhir/R4/Patient/" + patientId));
        var still = a.api().get("/fhir/R4/Patient/" + patientId);
        assertThat(still.status()).isEqualTo(200);
        assertThat(still.json().path("meta").path("versionId").asText()).isEqualTo(versionId);
        assertThat(still.body()).contains("Alpha").doesNotContain("Hijacked");
    }

    @Test
    void a_project_client_cannot_write_into_another_project_through_meta() {
        var created = b.api().post("/fhir/R4/Account",
                "{\"resourceType\":\"Account\",\"status\":\"active\",\"meta\":{\"project\":\"" + a.projectId() + "\"}}");
        assertThat(created.status()).isEqualTo(201);
        assertThat(created.json().path("meta").path("project").asText()).isEqualTo(b.projectId());
        assertNotFound(a.api().get("/fhir/R4/Account/" + created.json().get("id").asText()));
    }

    @Test
    void the_super_admin_writes_only_into_projects_that_exist() {
        var admin = TestServer.get().admin();
        String missing = java.util.UUID.randomUUID().toString();
        String marker = "ghost-" + java.util.UUID.randomUUID();
        String account = "{\"resourceType\":\"Account\",\"status\":\"active\",\"name\":\"" + marker
                + "\",\"meta\":{\"project\":\"%s\"}}";
        var refused = admin.post("/fhir/R4/Account", account.formatted(missing));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(400);
        assertThat(refused.outcomeText()).isEqualTo("Project " + missing + " does not exist");
        String id = java.util.UUID.randomUUID().toString();
        var asCreate = admin.put("/fhir/R4/Account/" + id,
                account.formatted(missing).replace("{\"resourceType\":\"Account\",", "{\"resourceType\":\"Account\",\"id\":\"" + id + "\","));
        assertThat(asCreate.status()).as(asCreate.toString()).isEqualTo(400);
        assertThat(asCreate.outcomeText()).isEqualTo("Project " + missing + " does not exist");
        var bundle = admin.post("/fhir/R4", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"request\":"
                + "{\"method\":\"POST\",\"url\":\"Account\"},\"resource\":" + account.formatted(missing) + "}]}");
        assertThat(bundle.json().path("entry").path(0).path("response").path("status").asText()).startsWith("400");
        assertThat(admin.get("/fhir/R4/Account?name=" + marker).json().path("entry")).isEmpty();
        assertThat(admin.get("/fhir/R4/Account/" + id).status()).isEqualTo(404);

        var placed = admin.post("/fhir/R4/Account", account.formatted(b.projectId()));
        assertThat(placed.status()).as(placed.toString()).isEqualTo(201);
        assertThat(placed.json().path("meta").path("project").asText()).isEqualTo(b.projectId());
        assertThat(b.api().get("/fhir/R4/Account/" + placed.json().get("id").asText()).status()).isEqualTo(200);
    }

    @Test
    void a_super_admins_meta_project_that_is_not_a_project_id_is_refused_not_ignored() {
        var admin = TestServer.get().admin();
        String marker = "misplaced-" + java.util.UUID.randomUUID();
        for (String value : new String[] {"\"Project/" + b.projectId() + "\"", "42", "{\"reference\":\"Project/x\"}", "\"\"",
                "\"has space\""}) {
            var reply = admin.post("/fhir/R4/Account", "{\"resourceType\":\"Account\",\"status\":\"active\",\"name\":\""
                    + marker + "\",\"meta\":{\"project\":" + value + "}}");
            assertThat(reply.status()).as(value + ": " + reply).isEqualTo(400);
            assertThat(reply.outcomeText()).isEqualTo("meta.project must be the id of a Project");
        }
        // in a Bundle a "urn:uuid:" value is rewritten to "Project/<id>", which used to put the Account in the admin's project
        var bundle = admin.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[
                 {"fullUrl":"urn:uuid:4d1c0d3e-8f7a-4a51-9d55-3f4b8e0c2a11","request":{"method":"POST","url":"Project"},"resource":{"resourceType":"Project","name":"p"}},
                 {"request":{"method":"POST","url":"Account"},"resource":{"resourceType":"Account","status":"active","name":"%s","meta":{"project":"urn:uuid:4d1c0d3e-8f7a-4a51-9d55-3f4b8e0c2a11"}}}]}"""
                .formatted(marker));
        assertThat(bundle.status()).as(bundle.toString()).isEqualTo(400);
        assertThat(bundle.outcomeText()).isEqualTo("meta.project must be the id of a Project");
        assertThat(admin.get("/fhir/R4/Account?name=" + marker).json().path("entry")).isEmpty();
    }

    @Test
    void a_project_written_by_an_earlier_entry_of_the_same_transaction_takes_the_super_admins_writes() {
        String project = java.util.UUID.randomUUID().toString();
        var reply = TestServer.get().admin().post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[
                 {"request":{"method":"PUT","url":"Project/%1$s"},"resource":{"resourceType":"Project","id":"%1$s","name":"made here"}},
                 {"request":{"method":"PUT","url":"Account/%2$s"},"resource":{"resourceType":"Account","id":"%2$s","status":"active","meta":{"project":"%1$s"}}}]}"""
                .formatted(project, java.util.UUID.randomUUID()));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("entry").path(1).path("resource").path("meta").path("project").asText()).isEqualTo(project);
    }

    @Test
    void the_super_admin_reads_every_project() {
        assertThat(TestServer.get().admin().get("/fhir/R4/Patient/" + patientId).status()).isEqualTo(200);
    }

    private static void assertNotFound(dev.fhirhook.testing.Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(404);
        assertThat(reply.json().path("id").asText()).isEqualTo("not-found");
        assertThat(reply.body()).doesNotContain("Alpha");
    }
}
