package dev.fhirhook.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.UUID;

/**
 * Projects run by their own admin client, made the way an operator would: the super admin creates the project and
 * its first admin client through {@code POST /admin/projects/{id}/client} with {@code admin: true}.
 */
public final class AdminProjects {
    private AdminProjects() {}

    /** A new project whose client (in the returned {@link TestProject}) is a project admin. */
    public static TestProject create(TestServer server) {
        var superAdmin = server.admin();
        var project = superAdmin.post("/fhir/R4/Project", "{\"resourceType\":\"Project\",\"name\":\"admin test " + UUID.randomUUID() + "\"}");
        assertThat(project.status()).as(project.toString()).isEqualTo(201);
        String projectId = project.json().get("id").asText();
        var client = superAdmin.post("/admin/projects/" + projectId + "/client", "{\"name\":\"first admin\",\"admin\":true}");
        assertThat(client.status()).as(client.toString()).isEqualTo(201);
        String clientId = client.json().get("id").asText();
        String secret = client.json().get("secret").asText();
        return new TestProject(projectId, clientId, secret, new Api(server.baseUrl(), clientId, secret),
                membershipOf(server, "ClientApplication/" + clientId).path("id").asText());
    }

    /** The membership whose user is {@code user}, read as the super admin (404s fail the test). */
    public static JsonNode membershipOf(TestServer server, String user) {
        var found = server.admin().get("/fhir/R4/ProjectMembership?user=" + user);
        assertThat(found.status()).as(found.toString()).isEqualTo(200);
        assertThat(found.json().path("entry").size()).as("memberships of " + user).isEqualTo(1);
        return found.json().path("entry").path(0).path("resource");
    }

    /** An AccessPolicy in {@code project}, created by the super admin. */
    public static String policy(TestServer server, String projectId, String name) {
        var policy = server.admin().post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","name":"%s","meta":{"project":"%s"},
                 "resource":[{"resourceType":"Patient"}]}""".formatted(name, projectId));
        assertThat(policy.status()).as(policy.toString()).isEqualTo(201);
        return policy.json().path("id").asText();
    }

    /**
     * POSTs a body over the size limit with {@code Expect: 100-continue}: the server refuses it (413) before the
     * client sends it, instead of racing a client still writing megabytes against a connection being closed.
     */
    public static Api.Reply postTooLarge(Api api, String path, byte[] body) {
        return api.send(api.request(path).expectContinue(true).header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)));
    }

    /** How many live resources of {@code type} in {@code projectId} have this {@code name}: checks for orphans. */
    public static long countByName(TestServer server, String type, String projectId, String name) {
        return server.server().database().jdbc().queryOne("""
                select count(*) from resource
                 where resource_type = ? and project_id = ? and not deleted and (content::jsonb) ->> 'name' = ?
                """, rs -> rs.getLong(1), type, projectId, name).orElse(0L);
    }

    /** How many live resources of {@code type} there are in {@code projectId}. */
    public static long count(TestServer server, String type, String projectId) {
        return server.server().database().jdbc().queryOne("""
                select count(*) from resource where resource_type = ? and project_id = ? and not deleted
                """, rs -> rs.getLong(1), type, projectId).orElse(0L);
    }
}
