package dev.fhirhook.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

/**
 * The membership rules of the admin route ({@link MembershipUpdate}) hold on every FHIR write of a
 * ProjectMembership too: PUT, PATCH, conditional update, POST and the entries of batch and transaction Bundles.
 */
class MembershipFhirWritesTest {
    private static final TestServer SERVER = TestServer.get();
    private static final String OWN = "Forbidden: cannot change the access policies of your own membership";
    private static final String NOT_IN_PROJECT = "Invalid access policy: not found in this project";

    private static JsonNode stored(String membershipId) {
        return SERVER.admin().get("/fhir/R4/ProjectMembership/" + membershipId).json();
    }

    private static String ref(String policy) {
        return "{\"reference\":\"AccessPolicy/" + policy + "\"}";
    }

    /** A project whose admin client is restricted by a policy that allows Patient only; returns the policy id. */
    private static String restrict(TestProject project) {
        String policy = AdminProjects.policy(SERVER, project.projectId(), "patients only");
        var set = SERVER.admin().post("/admin/projects/" + project.projectId() + "/members/" + project.membershipId(),
                "{\"accessPolicy\":" + ref(policy) + "}");
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(project.api().get("/fhir/R4/Observation").status()).as("the policy restricts").isEqualTo(403);
        return policy;
    }

    private static void assertRefused(Api.Reply reply, int status, String text) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.outcomeText()).isEqualTo(text);
    }

    private static void assertBundleEntryRefused(Api.Reply reply, int status, String text) {
        assertThat(reply.status()).as(reply.toString()).isIn(200, status);
        if (reply.status() == 200) { // batch: the entry carries the outcome
            var response = reply.json().path("entry").path(0).path("response");
            assertThat(response.path("status").asText()).as(reply.toString()).startsWith(String.valueOf(status));
            assertThat(response.path("outcome").path("issue").path(0).path("details").path("text").asText()).isEqualTo(text);
        } else {
            assertThat(reply.outcomeText()).isEqualTo(text);
        }
    }

    private static Api.Reply bundle(Api api, String type, String entry) {
        return api.post("/fhir/R4/", "{\"resourceType\":\"Bundle\",\"type\":\"" + type + "\",\"entry\":[" + entry + "]}");
    }

    private static void assertHealthy() {
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_restricted_admin_cannot_lift_its_own_policy_on_any_fhir_write_path() {
        TestProject project = AdminProjects.create(SERVER);
        String policy = restrict(project);
        String other = AdminProjects.policy(SERVER, project.projectId(), "everything else");
        var api = project.api();
        String own = "/fhir/R4/ProjectMembership/" + project.membershipId();
        String version = stored(project.membershipId()).path("meta").path("versionId").asText();

        var without = (ObjectNode) api.get(own).json();
        without.remove("accessPolicy");
        assertRefused(api.put(own, without.toString()), 403, OWN);
        var swapped = (ObjectNode) api.get(own).json();
        swapped.set("accessPolicy", dev.fhirhook.fhir.FhirJson.parse(ref(other).getBytes()));
        assertRefused(api.put(own, swapped.toString()), 403, OWN);
        var added = (ObjectNode) api.get(own).json();
        added.putArray("access").addObject().set("policy", dev.fhirhook.fhir.FhirJson.parse(ref(other).getBytes()));
        assertRefused(api.put(own, added.toString()), 403, OWN);

        assertRefused(api.patch(own, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]"), 403, OWN);
        assertRefused(api.patch(own, "[{\"op\":\"replace\",\"path\":\"/accessPolicy\",\"value\":" + ref(other) + "}]"), 403, OWN);
        assertRefused(api.patch(own, "[{\"op\":\"add\",\"path\":\"/access\",\"value\":[{\"policy\":" + ref(other) + "}]}]"),
                403, OWN);
        assertRefused(api.put("/fhir/R4/ProjectMembership?_id=" + project.membershipId(), without.toString()), 403, OWN);
        assertRefused(api.send(api.request("/fhir/R4/ProjectMembership?_id=" + project.membershipId())
                .header("Content-Type", "application/json-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString("[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]"))),
                403, OWN);
        String entry = "{\"resource\":" + without + ",\"request\":{\"method\":\"PUT\",\"url\":\"ProjectMembership/"
                + project.membershipId() + "\"}}";
        assertBundleEntryRefused(bundle(api, "batch", entry), 403, OWN);
        assertBundleEntryRefused(bundle(api, "transaction", entry), 403, OWN);

        var after = stored(project.membershipId());
        assertThat(after.path("meta").path("versionId").asText()).as("nothing written").isEqualTo(version);
        assertThat(after.path("accessPolicy").path("reference").asText()).isEqualTo("AccessPolicy/" + policy);
        assertThat(after.has("access")).isFalse();
        assertThat(api.get("/fhir/R4/Observation").status()).as("still restricted").isEqualTo(403);

        // a write that leaves its policies as they are is fine, and the super admin may lift them
        var unchanged = (ObjectNode) api.get(own).json();
        unchanged.put("active", true);
        assertThat(api.put(own, unchanged.toString()).status()).isEqualTo(200);
        assertThat(SERVER.admin().patch(own, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]").status()).isEqualTo(200);
        assertThat(api.get("/fhir/R4/Observation").status()).isEqualTo(200);
        assertHealthy();
    }

    @Test
    void an_admin_still_manages_the_policies_of_other_members_through_fhir() {
        TestProject project = AdminProjects.create(SERVER);
        var member = project.api().post("/admin/projects/" + project.projectId() + "/client", "{\"name\":\"member\"}");
        String pm = AdminProjects.membershipOf(SERVER, "ClientApplication/" + member.json().path("id").asText()).path("id").asText();
        String policy = AdminProjects.policy(SERVER, project.projectId(), "p");
        var reply = project.api().patch("/fhir/R4/ProjectMembership/" + pm,
                "[{\"op\":\"add\",\"path\":\"/accessPolicy\",\"value\":" + ref(policy) + "},"
                        + "{\"op\":\"add\",\"path\":\"/access\",\"value\":[{\"policy\":" + ref(policy)
                        + ",\"parameter\":[{\"name\":\"x\",\"valueString\":\"y\"}]}]}]");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(stored(pm).path("accessPolicy").path("reference").asText()).isEqualTo("AccessPolicy/" + policy);
        assertThat(project.api().patch("/fhir/R4/ProjectMembership/" + pm, "[{\"op\":\"remove\",\"path\":\"/accessPolicy\"}]")
                .status()).isEqualTo(200);
    }

    @Test
    void a_policy_of_another_project_or_a_malformed_reference_is_refused_on_every_fhir_write_path() {
        TestProject project = AdminProjects.create(SERVER);
        TestProject elsewhere = AdminProjects.create(SERVER);
        String foreign = AdminProjects.policy(SERVER, elsewhere.projectId(), "foreign");
        var member = project.api().post("/admin/projects/" + project.projectId() + "/client", "{\"name\":\"member\"}");
        String pm = AdminProjects.membershipOf(SERVER, "ClientApplication/" + member.json().path("id").asText()).path("id").asText();
        String path = "/fhir/R4/ProjectMembership/" + pm;
        var api = project.api();
        String version = stored(pm).path("meta").path("versionId").asText();

        String[] accessPolicies = {ref(foreign), ref("does-not-exist"), "{\"reference\":\"Patient/" + foreign + "\"}",
                "{\"reference\":\"AccessPolicy/" + foreign + "/_history/1\"}", "{\"reference\":\"AccessPolicy/\"}",
                "{\"reference\":\"AccessPolicy/../" + foreign + "\"}", "{\"reference\":42}", "{\"display\":\"x\"}",
                "[" + ref(foreign) + "]", "\"AccessPolicy/" + foreign + "\"", "{}"};
        for (String value : accessPolicies) {
            var body = (ObjectNode) stored(pm);
            body.set("accessPolicy", dev.fhirhook.fhir.FhirJson.parse(value.getBytes()));
            var put = api.put(path, body.toString());
            assertThat(put.status()).as(value + " " + put).isEqualTo(400);
            assertThat(put.outcomeText()).as(value).startsWith("Invalid access policy");
            var patch = api.patch(path, "[{\"op\":\"add\",\"path\":\"/accessPolicy\",\"value\":" + value + "}]");
            assertThat(patch.status()).as(value + " " + patch).isEqualTo(400);
        }
        assertRefused(api.patch(path, "[{\"op\":\"add\",\"path\":\"/access\",\"value\":[{\"policy\":" + ref(foreign) + "}]}]"),
                400, NOT_IN_PROJECT);
        String[] accesses = {"{\"policy\":" + ref(foreign) + "}", "[{\"policy\":" + ref(foreign) + "}]", "[\"x\"]",
                "[{}]", "[[" + ref(foreign) + "]]", "[{\"policy\":" + ref(foreign) + ",\"parameter\":{}}]"};
        for (String value : accesses) {
            var patch = api.patch(path, "[{\"op\":\"add\",\"path\":\"/access\",\"value\":" + value + "}]");
            assertThat(patch.status()).as(value + " " + patch).isEqualTo(400);
        }
        var body = (ObjectNode) stored(pm);
        body.set("accessPolicy", dev.fhirhook.fhir.FhirJson.parse(ref(foreign).getBytes()));
        assertRefused(api.put("/fhir/R4/ProjectMembership?_id=" + pm, body.toString()), 400, NOT_IN_PROJECT);
        String entry = "{\"resource\":" + body + ",\"request\":{\"method\":\"PUT\",\"url\":\"ProjectMembership/" + pm + "\"}}";
        assertBundleEntryRefused(bundle(api, "batch", entry), 400, NOT_IN_PROJECT);
        assertBundleEntryRefused(bundle(api, "transaction", entry), 400, NOT_IN_PROJECT);

        long before = AdminProjects.count(SERVER, "ProjectMembership", project.projectId());
        String created = "{\"resourceType\":\"ProjectMembership\",\"accessPolicy\":" + ref(foreign) + "}";
        assertRefused(api.post("/fhir/R4/ProjectMembership", created), 400, NOT_IN_PROJECT);
        assertBundleEntryRefused(bundle(api, "batch",
                "{\"resource\":" + created + ",\"request\":{\"method\":\"POST\",\"url\":\"ProjectMembership\"}}"), 400, NOT_IN_PROJECT);
        var updateAsCreate = api.put("/fhir/R4/ProjectMembership/made-up-membership",
                created.replace("{\"resourceType\":\"ProjectMembership\",", "{\"resourceType\":\"ProjectMembership\",\"id\":\"made-up-membership\","));
        assertRefused(updateAsCreate, 400, NOT_IN_PROJECT);
        assertThat(AdminProjects.count(SERVER, "ProjectMembership", project.projectId())).as("nothing created").isEqualTo(before);

        assertThat(stored(pm).path("meta").path("versionId").asText()).as("nothing written").isEqualTo(version);
        assertThat(new Api(SERVER.baseUrl(), member.json().path("id").asText(), member.json().path("secret").asText())
                .get("/fhir/R4/Patient").status()).as("the member is not locked out").isEqualTo(200);
        assertHealthy();
    }

    @Test
    void a_memberships_profile_cannot_change_through_fhir() {
        TestProject project = AdminProjects.create(SERVER);
        var member = project.api().post("/admin/projects/" + project.projectId() + "/client", "{\"name\":\"member\"}");
        String client = member.json().path("id").asText();
        String pm = AdminProjects.membershipOf(SERVER, "ClientApplication/" + client).path("id").asText();
        String path = "/fhir/R4/ProjectMembership/" + pm;
        var api = project.api();
        String version = stored(pm).path("meta").path("versionId").asText();

        var body = (ObjectNode) stored(pm);
        body.putObject("profile").put("reference", "ClientApplication/" + project.clientId());
        assertRefused(api.put(path, body.toString()), 400, "Cannot change ProjectMembership.profile");
        assertRefused(api.patch(path, "[{\"op\":\"replace\",\"path\":\"/profile\",\"value\":{\"reference\":\"Bot/x\"}}]"),
                400, "Cannot change ProjectMembership.profile");
        assertRefused(api.patch(path, "[{\"op\":\"replace\",\"path\":\"/profile\",\"value\":[]}]"),
                400, "Cannot change ProjectMembership.profile");
        assertRefused(api.put("/fhir/R4/ProjectMembership?_id=" + pm, body.toString()), 400, "Cannot change ProjectMembership.profile");
        String entry = "{\"resource\":" + body + ",\"request\":{\"method\":\"PUT\",\"url\":\"ProjectMembership/" + pm + "\"}}";
        assertBundleEntryRefused(bundle(api, "batch", entry), 400, "Cannot change ProjectMembership.profile");
        assertBundleEntryRefused(bundle(api, "transaction", entry), 400, "Cannot change ProjectMembership.profile");
        assertThat(stored(pm).path("meta").path("versionId").asText()).as("nothing written").isEqualTo(version);

        // left out, it keeps its value, as the admin route does with the whole resource
        var removed = api.patch(path, "[{\"op\":\"remove\",\"path\":\"/profile\"},{\"op\":\"add\",\"path\":\"/active\",\"value\":true}]");
        assertThat(removed.status()).as(removed.toString()).isEqualTo(200);
        assertThat(stored(pm).path("profile").path("reference").asText()).isEqualTo("ClientApplication/" + client);
        assertHealthy();
    }

    @Test
    void a_transaction_may_create_a_policy_and_a_membership_that_names_it() {
        TestProject project = AdminProjects.create(SERVER);
        var reply = bundle(project.api(), "transaction", """
                {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111",
                 "resource":{"resourceType":"AccessPolicy","name":"new","resource":[{"resourceType":"Patient"}]},
                 "request":{"method":"POST","url":"AccessPolicy"}},
                {"resource":{"resourceType":"ProjectMembership",
                             "accessPolicy":{"reference":"urn:uuid:11111111-1111-4111-8111-111111111111"}},
                 "request":{"method":"POST","url":"ProjectMembership"}}""");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        String policy = reply.json().path("entry").path(0).path("resource").path("id").asText();
        assertThat(reply.json().path("entry").path(1).path("resource").path("accessPolicy").path("reference").asText())
                .isEqualTo("AccessPolicy/" + policy);
    }

    @Test
    void a_bot_with_an_admin_membership_cannot_lift_its_own_policy_from_its_code() {
        TestProject project = AdminProjects.create(SERVER);
        var bot = dev.fhirhook.testing.TestBot.create(project, "", "[{\"resourceType\":\"Patient\"}]").deploy("""
                exports.handler = async (medplum, event) => {
                  const pm = await medplum.readResource('ProjectMembership', event.input.pm);
                  delete pm.accessPolicy;
                  try {
                    await medplum.updateResource(pm);
                    return 'lifted';
                  } catch (e) {
                    return 'refused';
                  }
                };
                """);
        String path = "/fhir/R4/ProjectMembership/" + bot.membershipId();
        assertThat(SERVER.admin().patch(path, "[{\"op\":\"add\",\"path\":\"/admin\",\"value\":true}]").status()).isEqualTo(200);
        String version = stored(bot.membershipId()).path("meta").path("versionId").asText();
        var reply = bot.executeJson("{\"pm\":\"" + bot.membershipId() + "\"}");
        assertThat(reply.body()).as(reply.toString()).isEqualTo("refused");
        assertThat(stored(bot.membershipId()).path("meta").path("versionId").asText()).as("nothing written").isEqualTo(version);
        assertThat(stored(bot.membershipId()).path("accessPolicy").path("reference").asText())
                .isEqualTo("AccessPolicy/" + bot.policyId());
    }
}
