package dev.fhirhook.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

/** A project of its own with one ClientApplication (and its membership), and a client that acts in it. */
public record TestProject(String projectId, String clientId, String secret, Api api, String membershipId) {

    static TestProject create(TestServer server) {
        var admin = server.admin();
        var project = admin.post("/fhir/R4/Project", "{\"resourceType\":\"Project\",\"name\":\"test " + UUID.randomUUID() + "\"}");
        assertThat(project.status()).as(project.toString()).isEqualTo(201);
        String projectId = project.json().get("id").asText();
        String secret = "secret-" + UUID.randomUUID();
        var client = admin.post("/fhir/R4/ClientApplication", """
                {"resourceType":"ClientApplication","name":"test client","status":"active","secret":"%s",
                 "meta":{"project":"%s"}}""".formatted(secret, projectId));
        assertThat(client.status()).as(client.toString()).isEqualTo(201);
        String clientId = client.json().get("id").asText();
        var membership = admin.post("/fhir/R4/ProjectMembership", """
                {"resourceType":"ProjectMembership","meta":{"project":"%1$s"},
                 "project":{"reference":"Project/%1$s"},
                 "user":{"reference":"ClientApplication/%2$s"},
                 "profile":{"reference":"ClientApplication/%2$s"}}""".formatted(projectId, clientId));
        assertThat(membership.status()).as(membership.toString()).isEqualTo(201);
        return new TestProject(projectId, clientId, secret, new Api(server.baseUrl(), clientId, secret),
                membership.json().get("id").asText());
    }
}
