package dev.fhirhook.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.util.UUID;

/**
 * More clients in a test project, each with a ProjectMembership of its own carrying the AccessPolicies a test
 * gives it. Set up over HTTP by the super admin, which may also store policies a project client could not.
 */
public final class Members {
    private Members() {}

    /** A client acting in the project under its membership. */
    public record Member(String clientId, String secret, String membershipId, Api api) {
        /** The same client with a bearer token from {@code POST /oauth2/token}. */
        public Api bearer() {
            var server = TestServer.get();
            var reply = server.anonymous().send(api.request("/oauth2/token")
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials")));
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            return Api.bearer(server.baseUrl(), reply.json().path("access_token").asText());
        }
    }

    /** Stores an AccessPolicy with these fields (JSON members, without braces) in the project; returns its id. */
    public static String policy(TestProject project, String fields) {
        var reply = TestServer.get().admin().post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","meta":{"project":"%s"},%s}""".formatted(project.projectId(), fields));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json().get("id").asText();
    }

    /** A reference to a policy, as {@code accessPolicy} or {@code access[].policy} take it. */
    public static String reference(String policyId) {
        return "{\"reference\":\"AccessPolicy/" + policyId + "\"}";
    }

    /** A new client whose membership has the single policy {@code policyId}. */
    public static Member withPolicy(TestProject project, String policyId) {
        return member(project, "\"accessPolicy\":" + reference(policyId));
    }

    /**
     * A new ClientApplication in the project and its membership with these extra fields (JSON members without
     * braces, such as {@code "accessPolicy":{...}} or {@code "admin":true}; empty for none).
     */
    public static Member member(TestProject project, String membershipFields) {
        var admin = TestServer.get().admin();
        String secret = "secret-" + UUID.randomUUID();
        var client = admin.post("/fhir/R4/ClientApplication", """
                {"resourceType":"ClientApplication","name":"member","status":"active","secret":"%s",
                 "meta":{"project":"%s"}}""".formatted(secret, project.projectId()));
        assertThat(client.status()).as(client.toString()).isEqualTo(201);
        String clientId = client.json().get("id").asText();
        var membership = admin.post("/fhir/R4/ProjectMembership", """
                {"resourceType":"ProjectMembership","meta":{"project":"%1$s"},
                 "project":{"reference":"Project/%1$s"},
                 "user":{"reference":"ClientApplication/%2$s"},
                 "profile":{"reference":"ClientApplication/%2$s"}%3$s}"""
                .formatted(project.projectId(), clientId, membershipFields.isEmpty() ? "" : "," + membershipFields));
        assertThat(membership.status()).as(membership.toString()).isEqualTo(201);
        return new Member(clientId, secret, membership.json().get("id").asText(),
                new Api(TestServer.get().baseUrl(), clientId, secret));
    }
}
