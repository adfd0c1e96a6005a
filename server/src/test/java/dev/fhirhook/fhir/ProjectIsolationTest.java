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
    void the_super_admin_reads_every_project() {
        assertThat(TestServer.get().admin().get("/fhir/R4/Patient/" + patientId).status()).isEqualTo(200);
    }

    private static void assertNotFound(dev.fhirhook.testing.Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(404);
        assertThat(reply.json().path("id").asText()).isEqualTo("not-found");
        assertThat(reply.body()).doesNotContain("Alpha");
    }
}
