package dev.fhirhook.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * A Bot in a test project with its own membership and AccessPolicy, written over FHIR by the super admin,
 * and deployed with {@code $deploy}. {@code project.api()} (the project's client) may read it, so it may run it.
 */
public record TestBot(TestProject project, String id, String membershipId, String policyId) {

    /** @param policyEntries the AccessPolicy's {@code resource} array, e.g. {@code [{"resourceType":"Invoice"}]} */
    public static TestBot create(TestProject project, String botJsonFields, String policyEntries) {
        var admin = TestServer.get().admin();
        var bot = admin.post("/fhir/R4/Bot", """
                {"resourceType":"Bot","meta":{"project":"%s"},"name":"test bot"%s}"""
                .formatted(project.projectId(), botJsonFields.isEmpty() ? "" : "," + botJsonFields));
        assertThat(bot.status()).as(bot.toString()).isEqualTo(201);
        String botId = bot.json().get("id").asText();
        var policy = admin.post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy","meta":{"project":"%s"},"name":"bot policy","resource":%s}"""
                .formatted(project.projectId(), policyEntries));
        assertThat(policy.status()).as(policy.toString()).isEqualTo(201);
        String policyId = policy.json().get("id").asText();
        var membership = admin.post("/fhir/R4/ProjectMembership", """
                {"resourceType":"ProjectMembership","meta":{"project":"%1$s"},"project":{"reference":"Project/%1$s"},
                 "user":{"reference":"Bot/%2$s"},"profile":{"reference":"Bot/%2$s"},
                 "accessPolicy":{"reference":"AccessPolicy/%3$s"}}""".formatted(project.projectId(), botId, policyId));
        assertThat(membership.status()).as(membership.toString()).isEqualTo(201);
        return new TestBot(project, botId, membership.json().get("id").asText(), policyId);
    }

    /** A bot that may do anything in its project except admin types. */
    public static TestBot create(TestProject project) {
        return create(project, "", "[{\"resourceType\":\"*\"}]");
    }

    /** Deploys {@code code} as {@code filename}; fails the test unless it is accepted. */
    public TestBot deploy(String code, String filename) {
        var reply = deployReply(code, filename);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return this;
    }

    public TestBot deploy(String code) {
        return deploy(code, "index.js");
    }

    public Api.Reply deployReply(String code, String filename) {
        var body = JsonNodeFactory.instance.objectNode().put("code", code).put("filename", filename);
        return project.api().raw("POST", "/fhir/R4/Bot/" + id + "/$deploy", "application/json", body.toString().getBytes());
    }

    public Api.Reply execute(String contentType, String body) {
        return project.api().raw("POST", "/fhir/R4/Bot/" + id + "/$execute", contentType,
                body == null ? null : body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public Api.Reply executeJson(String json) {
        return execute("application/json", json);
    }
}
