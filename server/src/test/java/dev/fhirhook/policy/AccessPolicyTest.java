package dev.fhirhook.policy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.Members;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * AccessPolicy enforcement through HTTP: the seed's two policies (a webhook sender that may only read Bots, a
 * bot that may only touch Invoice and Account), memberships without a policy, admin-only types, the union of
 * several policies with parameters, and criteria, including totals and paging.
 */
class AccessPolicyTest {

    static void assertForbidden(Api.Reply reply) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(403);
        var json = reply.json();
        assertThat(json.path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(json.path("id").asText()).isEqualTo("forbidden");
        assertThat(json.path("issue").path(0).path("code").asText()).isEqualTo("forbidden");
    }

    static String created(Api api, String path, String json) {
        var reply = api.post(path, json);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json().get("id").asText();
    }

    static List<String> ids(JsonNode bundle) {
        var ids = new ArrayList<String>();
        for (JsonNode entry : bundle.path("entry")) {
            if (entry.path("search").path("mode").asText("match").equals("match")) ids.add(entry.path("resource").path("id").asText());
        }
        return ids;
    }

    // --- acceptance 1: the seed's flow ----------------------------------------------------------------

    @Test
    void a_client_whose_policy_only_reads_bots_reads_them_with_basic_and_bearer_and_cannot_create_a_patient() {
        var project = TestServer.get().newProject();
        String botId = created(project.api(), "/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"stripe\"}");
        var sender = Members.withPolicy(project, Members.policy(project, "\"resource\":[{\"resourceType\":\"Bot\",\"readonly\":true}]"));

        for (Api api : List.of(sender.api(), sender.bearer())) {
            var read = api.get("/fhir/R4/Bot/" + botId);
            assertThat(read.status()).as(read.toString()).isEqualTo(200);
            assertThat(read.json().path("name").asText()).isEqualTo("stripe");
            var search = api.get("/fhir/R4/Bot?name=stripe");
            assertThat(search.status()).as(search.toString()).isEqualTo(200);
            assertThat(ids(search.json())).containsExactly(botId);

            assertForbidden(api.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"));
            assertForbidden(api.get("/fhir/R4/Patient"));
            assertForbidden(api.post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"mine\"}"));
            assertForbidden(api.put("/fhir/R4/Bot/" + botId, "{\"resourceType\":\"Bot\",\"id\":\"" + botId + "\",\"name\":\"changed\"}"));
            assertForbidden(api.delete("/fhir/R4/Bot/" + botId));
        }
        var patients = project.api().get("/fhir/R4/Patient?_summary=count");
        assertThat(patients.json().path("total").asInt()).as("nothing was created").isZero();
        assertThat(project.api().get("/fhir/R4/Bot/" + botId).json().path("name").asText()).isEqualTo("stripe");
    }

    @Test
    void a_membership_with_invoice_and_account_entries_writes_those_and_nothing_else() {
        var project = TestServer.get().newProject();
        var bot = Members.withPolicy(project, Members.policy(project,
                "\"resource\":[{\"resourceType\":\"Invoice\"},{\"resourceType\":\"Account\"}]"));
        var api = bot.api();

        String invoice = created(api, "/fhir/R4/Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"issued\"}");
        String account = created(api, "/fhir/R4/Account", "{\"resourceType\":\"Account\",\"status\":\"active\"}");
        assertThat(api.put("/fhir/R4/Invoice/" + invoice, "{\"resourceType\":\"Invoice\",\"id\":\"" + invoice
                + "\",\"status\":\"balanced\"}").status()).isEqualTo(200);
        assertThat(api.patch("/fhir/R4/Account/" + account, "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"inactive\"}]").status())
                .isEqualTo(200);
        assertThat(api.get("/fhir/R4/Invoice?status=balanced").json().path("entry")).hasSize(1);
        assertThat(api.get("/fhir/R4/Account/" + account + "/_history").status()).isEqualTo(200);

        assertForbidden(api.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}"));
        assertForbidden(api.post("/fhir/R4/Observation", "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"x\"}}"));
        assertForbidden(api.get("/fhir/R4/Patient?name=x"));
        assertForbidden(api.get("/fhir/R4/Patient/_history"));
        assertForbidden(api.post("/fhir/R4/AccessPolicy", "{\"resourceType\":\"AccessPolicy\",\"resource\":[{\"resourceType\":\"*\"}]}"));
        assertForbidden(api.get("/fhir/R4/ProjectMembership/" + bot.membershipId()));

        // a transaction with one entry it may not write is refused whole
        var transaction = api.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[
                  {"request":{"method":"POST","url":"Invoice"},"resource":{"resourceType":"Invoice","status":"draft"}},
                  {"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}]}""");
        assertForbidden(transaction);
        assertThat(project.api().get("/fhir/R4/Invoice?status=draft&_summary=count").json().path("total").asInt()).isZero();

        // in a batch each entry stands alone
        var batch = api.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"batch","entry":[
                  {"request":{"method":"POST","url":"Invoice"},"resource":{"resourceType":"Invoice","status":"draft"}},
                  {"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient"}}]}""");
        assertThat(batch.status()).as(batch.toString()).isEqualTo(200);
        assertThat(batch.json().path("entry").path(0).path("response").path("status").asText()).isEqualTo("201");
        assertThat(batch.json().path("entry").path(1).path("response").path("status").asText()).isEqualTo("403");
        assertThat(project.api().get("/fhir/R4/Patient?_summary=count").json().path("total").asInt()).isZero();
    }

    @Test
    void interactions_listed_on_an_entry_are_the_only_ones_it_grants() {
        var project = TestServer.get().newProject();
        String existing = created(project.api(), "/fhir/R4/Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"issued\"}");
        var writer = Members.withPolicy(project, Members.policy(project,
                "\"resource\":[{\"resourceType\":\"Invoice\",\"interaction\":[\"create\",\"update\"]}]"));
        var api = writer.api();
        String mine = created(api, "/fhir/R4/Invoice", "{\"resourceType\":\"Invoice\",\"status\":\"draft\"}");
        assertThat(api.put("/fhir/R4/Invoice/" + existing, "{\"resourceType\":\"Invoice\",\"id\":\"" + existing
                + "\",\"status\":\"cancelled\"}").status()).isEqualTo(200);
        assertForbidden(api.get("/fhir/R4/Invoice/" + mine));
        assertForbidden(api.get("/fhir/R4/Invoice"));
        assertForbidden(api.get("/fhir/R4/Invoice/" + mine + "/_history"));
        assertForbidden(api.delete("/fhir/R4/Invoice/" + mine));
        // a patch is an update, and needs no read permission
        assertThat(api.patch("/fhir/R4/Invoice/" + mine, "[{\"op\":\"replace\",\"path\":\"/status\",\"value\":\"issued\"}]").status())
                .isEqualTo(200);
    }

    // --- no policy, admin-only types, admins ------------------------------------------------------------

    @Test
    void a_membership_without_a_policy_reaches_every_type_except_the_admin_ones() {
        var project = TestServer.get().newProject();
        var api = project.api();
        created(api, "/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}");
        created(api, "/fhir/R4/AccessPolicy", "{\"resourceType\":\"AccessPolicy\",\"resource\":[{\"resourceType\":\"Patient\"}]}");
        created(api, "/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"b\"}");

        assertForbidden(api.get("/fhir/R4/Project/" + project.projectId()));
        assertForbidden(api.get("/fhir/R4/ProjectMembership/" + project.membershipId()));
        assertForbidden(api.get("/fhir/R4/ProjectMembership"));
        assertForbidden(api.post("/fhir/R4/ProjectMembership", """
                {"resourceType":"ProjectMembership","user":{"reference":"ClientApplication/%s"},"admin":true}"""
                .formatted(project.clientId())));
        assertForbidden(api.patch("/fhir/R4/ProjectMembership/" + project.membershipId(),
                "[{\"op\":\"add\",\"path\":\"/admin\",\"value\":true}]"));
        assertForbidden(api.get("/fhir/R4/User"));
        assertForbidden(api.get("/fhir/R4/Login"));
        assertForbidden(api.get("/fhir/R4/JsonWebKey"));
    }

    @Test
    void admin_types_listed_in_a_policy_are_not_granted_to_a_non_admin_and_star_never_covers_them() {
        var project = TestServer.get().newProject();
        var member = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"*"},{"resourceType":"ProjectMembership"},{"resourceType":"Project"},
                            {"resourceType":"User"},{"resourceType":"JsonWebKey"},{"resourceType":"Login"}]"""));
        var api = member.api();
        assertThat(api.get("/fhir/R4/Patient").status()).isEqualTo(200);
        assertForbidden(api.get("/fhir/R4/ProjectMembership/" + member.membershipId()));
        assertForbidden(api.get("/fhir/R4/ProjectMembership"));
        assertForbidden(api.put("/fhir/R4/ProjectMembership/" + member.membershipId(), """
                {"resourceType":"ProjectMembership","id":"%s","admin":true}""".formatted(member.membershipId())));
        assertForbidden(api.get("/fhir/R4/Project/" + project.projectId()));
        assertForbidden(api.get("/fhir/R4/User"));
        assertForbidden(api.get("/fhir/R4/Login"));
        assertForbidden(api.get("/fhir/R4/JsonWebKey"));
        var membership = TestServer.get().admin().get("/fhir/R4/ProjectMembership/" + member.membershipId());
        assertThat(membership.json().path("admin").asBoolean(false)).isFalse();
    }

    @Test
    void a_project_admin_gets_the_fixed_admin_set_whatever_its_policy_lists() {
        var project = TestServer.get().newProject();
        // set by the super admin: a project admin may neither see nor change them
        var setProject = TestServer.get().admin().patch("/fhir/R4/Project/" + project.projectId(), """
                [{"op":"add","path":"/strictMode","value":true},{"op":"add","path":"/features","value":["bots"]}]""");
        assertThat(setProject.status()).as(setProject.toString()).isEqualTo(200);
        var admin = Members.member(project, "\"admin\":true,\"accessPolicy\":" + Members.reference(Members.policy(project,
                "\"resource\":[{\"resourceType\":\"Patient\"}]")));
        var api = admin.api();

        var own = api.get("/fhir/R4/Project/" + project.projectId());
        assertThat(own.status()).as(own.toString()).isEqualTo(200);
        assertThat(own.json().has("strictMode")).as("hidden from project admins").isFalse();
        assertThat(own.json().path("features").path(0).asText()).isEqualTo("bots");
        var renamed = api.put("/fhir/R4/Project/" + project.projectId(), """
                {"resourceType":"Project","id":"%s","name":"renamed","features":["bots"]}""".formatted(project.projectId()));
        assertThat(renamed.status()).as(renamed.toString()).isEqualTo(200);
        assertThat(renamed.json().has("strictMode")).isFalse();
        var stored = TestServer.get().admin().get("/fhir/R4/Project/" + project.projectId()).json();
        assertThat(stored.path("name").asText()).isEqualTo("renamed");
        assertThat(stored.path("strictMode").asBoolean()).as("a hidden field survives an update that could not see it").isTrue();
        assertForbidden(api.delete("/fhir/R4/Project/" + project.projectId()));

        var memberships = api.get("/fhir/R4/ProjectMembership");
        assertThat(memberships.status()).as(memberships.toString()).isEqualTo(200);
        assertThat(ids(memberships.json())).contains(project.membershipId(), admin.membershipId());
        // project and user of a membership are read-only for admins: the membership keeps its user
        var moved = api.patch("/fhir/R4/ProjectMembership/" + project.membershipId(), """
                [{"op":"replace","path":"/user","value":{"reference":"ClientApplication/%s"}},
                 {"op":"add","path":"/active","value":true}]""".formatted(admin.clientId()));
        assertThat(moved.status()).as(moved.toString()).isEqualTo(200);
        assertThat(moved.json().path("user").path("reference").asText()).isEqualTo("ClientApplication/" + project.clientId());
        assertThat(moved.json().path("active").asBoolean()).isTrue();

        var client = api.get("/fhir/R4/ClientApplication/" + project.clientId());
        assertThat(client.status()).isEqualTo(200);
        assertThat(client.json().path("secret").asText()).as("project admins see client secrets").isEqualTo(project.secret());
        created(api, "/fhir/R4/AccessPolicy", "{\"resourceType\":\"AccessPolicy\",\"resource\":[{\"resourceType\":\"Invoice\"}]}");
        created(api, "/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"b\"}");
        created(api, "/fhir/R4/Patient", "{\"resourceType\":\"Patient\"}");
        assertForbidden(api.get("/fhir/R4/Observation"));
        assertForbidden(api.get("/fhir/R4/Login"));
    }

    @Test
    void client_secrets_are_hidden_from_non_admins_whatever_the_policy_says() {
        var project = TestServer.get().newProject();
        var member = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"ClientApplication"}]"""));
        var api = member.api();
        var read = api.get("/fhir/R4/ClientApplication/" + project.clientId());
        assertThat(read.status()).as(read.toString()).isEqualTo(200);
        assertThat(read.json().has("secret")).isFalse();
        var search = api.get("/fhir/R4/ClientApplication");
        assertThat(search.body()).doesNotContain(project.secret()).doesNotContain(member.secret());
        assertThat(project.api().get("/fhir/R4/ClientApplication/" + member.clientId()).json().has("secret"))
                .as("nor for a membership without a policy").isFalse();

        var update = api.put("/fhir/R4/ClientApplication/" + project.clientId(), """
                {"resourceType":"ClientApplication","id":"%s","name":"renamed","status":"active","secret":"chosen-by-me"}"""
                .formatted(project.clientId()));
        assertThat(update.status()).as(update.toString()).isEqualTo(200);
        assertThat(update.body()).doesNotContain(project.secret());
        var stored = TestServer.get().admin().get("/fhir/R4/ClientApplication/" + project.clientId()).json();
        assertThat(stored.path("name").asText()).isEqualTo("renamed");
        assertThat(stored.path("secret").asText()).as("the secret cannot be changed by who cannot see it").isEqualTo(project.secret());
        assertThat(project.api().get("/fhir/R4/Patient").status()).as("the client still authenticates").isEqualTo(200);

        String minted = created(api, "/fhir/R4/ClientApplication", """
                {"resourceType":"ClientApplication","name":"minted","status":"active","secret":"chosen-by-me"}""");
        assertThat(TestServer.get().admin().get("/fhir/R4/ClientApplication/" + minted).json().has("secret")).isFalse();
    }

    // --- union and parameters -----------------------------------------------------------------------------

    @Test
    void the_policies_of_a_membership_are_a_union_with_profile_string_and_reference_parameters() {
        var project = TestServer.get().newProject();
        var api = project.api();
        String tenantA = created(api, "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"code\":\"tenant-a\"}]}}");
        String tenantB = created(api, "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"meta\":{\"tag\":[{\"code\":\"tenant-b\"}]}}");
        String org = created(api, "/fhir/R4/Organization", "{\"resourceType\":\"Organization\",\"name\":\"mine\"}");
        String otherOrg = created(api, "/fhir/R4/Organization", "{\"resourceType\":\"Organization\",\"name\":\"theirs\"}");

        String own = Members.policy(project, """
                "resource":[{"resourceType":"Communication","criteria":"Communication?sender=%profile"}]""");
        String tenant = Members.policy(project, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?_tag=%tenant"},
                            {"resourceType":"Organization","criteria":"Organization?_id=%org.id"}]""");
        var member = Members.member(project, """
                "accessPolicy":%s,
                "access":[{"policy":%s,"parameter":[{"name":"tenant","valueString":"tenant-a"},
                                                    {"name":"org","valueReference":{"reference":"Organization/%s"}}]}]"""
                .formatted(Members.reference(own), Members.reference(tenant), org));
        var m = member.api();

        String mine = created(m, "/fhir/R4/Communication", """
                {"resourceType":"Communication","status":"completed","sender":{"reference":"ClientApplication/%s"}}"""
                .formatted(member.clientId()));
        String others = created(api, "/fhir/R4/Communication", """
                {"resourceType":"Communication","status":"completed","sender":{"reference":"ClientApplication/%s"}}"""
                .formatted(project.clientId()));
        assertThat(ids(m.get("/fhir/R4/Communication").json())).containsExactly(mine);
        assertThat(m.get("/fhir/R4/Communication/" + others).status()).isEqualTo(404);
        assertForbidden(m.post("/fhir/R4/Communication", """
                {"resourceType":"Communication","status":"completed","sender":{"reference":"ClientApplication/%s"}}"""
                .formatted(project.clientId())));

        assertThat(ids(m.get("/fhir/R4/Patient").json())).containsExactly(tenantA);
        assertThat(m.get("/fhir/R4/Patient/" + tenantB).status()).isEqualTo(404);
        assertThat(m.get("/fhir/R4/Organization/" + org).status()).isEqualTo(200);
        assertThat(m.get("/fhir/R4/Organization/" + otherOrg).status()).isEqualTo(404);
        assertForbidden(m.get("/fhir/R4/Observation"));
        assertThat(m.get("/fhir/R4/SearchParameter").status()).as("added read-only to every policy").isEqualTo(200);
        assertForbidden(m.post("/fhir/R4/SearchParameter", "{\"resourceType\":\"SearchParameter\",\"status\":\"draft\"}"));
    }

    // --- criteria ----------------------------------------------------------------------------------------

    @Test
    void criteria_are_applied_in_sql_so_totals_and_every_page_count_only_allowed_resources() {
        var project = TestServer.get().newProject();
        var allowed = new ArrayList<String>();
        for (int i = 0; i < 7; i++) allowed.add(created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}"));
        for (int i = 0; i < 5; i++) created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":false}");
        var member = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?active=true"}]"""));
        var api = member.api();

        var first = api.get("/fhir/R4/Patient?_count=3&_total=accurate");
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        assertThat(first.json().path("total").asInt()).isEqualTo(7);
        var seen = new ArrayList<>(ids(first.json()));
        assertThat(seen).hasSize(3);
        String next = next(first.json());
        int pages = 1;
        while (next != null) {
            var page = api.get(next.substring(TestServer.get().baseUrl().length()));
            assertThat(page.status()).as(page.toString()).isEqualTo(200);
            seen.addAll(ids(page.json()));
            next = next(page.json());
            pages++;
        }
        assertThat(pages).isEqualTo(3);
        assertThat(seen).containsExactlyInAnyOrderElementsOf(allowed);

        assertThat(api.get("/fhir/R4/Patient?_summary=count").json().path("total").asInt()).isEqualTo(7);
        assertThat(api.get("/fhir/R4/Patient?active=false&_total=accurate").json().path("total").asInt()).isZero();
        var offsets = api.get("/fhir/R4/Patient?_sort=_id&_count=5&_offset=5&_total=accurate");
        assertThat(offsets.json().path("total").asInt()).isEqualTo(7);
        assertThat(ids(offsets.json())).hasSize(2);
        var posted = api.send(api.request("/fhir/R4/Patient/_search").header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("_total=accurate&_count=100")));
        assertThat(posted.json().path("total").asInt()).isEqualTo(7);
        assertThat(api.get("/fhir/R4/Patient/_history?_count=100").json().path("entry")).hasSize(7);
    }

    private static String next(JsonNode bundle) {
        for (JsonNode link : bundle.path("link")) if (link.path("relation").asText().equals("next")) return link.path("url").asText();
        return null;
    }

    @Test
    void a_resource_outside_the_criteria_is_not_found_and_a_write_cannot_leave_or_start_outside_them() {
        var project = TestServer.get().newProject();
        String inside = created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
        String outside = created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":false}");
        var outsideVersion = project.api().get("/fhir/R4/Patient/" + outside).json().path("meta").path("versionId").asText();
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?active=true"}]""")).api();

        assertThat(api.get("/fhir/R4/Patient/" + inside).status()).isEqualTo(200);
        assertThat(api.get("/fhir/R4/Patient/" + outside).status()).isEqualTo(404);
        assertThat(api.get("/fhir/R4/Patient/" + outside + "/_history/" + outsideVersion).status()).isEqualTo(404);
        assertThat(api.get("/fhir/R4/Patient/" + outside + "/_history").status()).isEqualTo(404);
        assertThat(api.put("/fhir/R4/Patient/" + outside, "{\"resourceType\":\"Patient\",\"id\":\"" + outside + "\",\"active\":true}").status())
                .isEqualTo(404);
        assertThat(api.patch("/fhir/R4/Patient/" + outside, "[{\"op\":\"replace\",\"path\":\"/active\",\"value\":true}]").status())
                .isEqualTo(404);
        assertThat(api.delete("/fhir/R4/Patient/" + outside).status()).isEqualTo(404);
        assertThat(project.api().get("/fhir/R4/Patient/" + outside).json().path("active").asBoolean(true)).isFalse();

        assertForbidden(api.put("/fhir/R4/Patient/" + inside, "{\"resourceType\":\"Patient\",\"id\":\"" + inside + "\",\"active\":false}"));
        assertForbidden(api.patch("/fhir/R4/Patient/" + inside, "[{\"op\":\"replace\",\"path\":\"/active\",\"value\":false}]"));
        assertThat(project.api().get("/fhir/R4/Patient/" + inside).json().path("active").asBoolean()).isTrue();
        assertThat(project.api().get("/fhir/R4/Patient/" + inside + "/_history").json().path("total").asInt()).isEqualTo(1);

        int before = project.api().get("/fhir/R4/Patient?_summary=count").json().path("total").asInt();
        assertForbidden(api.post("/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":false}"));
        String newId = "new-outside-" + System.nanoTime();
        assertForbidden(api.put("/fhir/R4/Patient/" + newId, "{\"resourceType\":\"Patient\",\"id\":\"" + newId + "\",\"active\":false}"));
        assertThat(project.api().get("/fhir/R4/Patient?_summary=count").json().path("total").asInt()).isEqualTo(before);
        created(api, "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true}");
        assertThat(api.delete("/fhir/R4/Patient/" + inside).status()).isEqualTo(200);
    }

    @Test
    void the_criteria_of_every_matching_entry_are_ored() {
        var project = TestServer.get().newProject();
        String active = created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":true,\"gender\":\"male\"}");
        String female = created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":false,\"gender\":\"female\"}");
        created(project.api(), "/fhir/R4/Patient", "{\"resourceType\":\"Patient\",\"active\":false,\"gender\":\"male\"}");
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Patient","criteria":"Patient?active=true"},
                            {"resourceType":"Patient","criteria":"Patient?gender=female"}]""")).api();
        var search = api.get("/fhir/R4/Patient?_total=accurate");
        assertThat(search.json().path("total").asInt()).isEqualTo(2);
        assertThat(ids(search.json())).containsExactlyInAnyOrder(active, female);
        assertThat(api.get("/fhir/R4/Patient/" + female).status()).isEqualTo(200);
    }

    @Test
    void a_compartment_entry_allows_only_resources_in_that_compartment() {
        var project = TestServer.get().newProject();
        String in = created(project.api(), "/fhir/R4/Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p1"}}""");
        String out = created(project.api(), "/fhir/R4/Observation", """
                {"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/p2"}}""");
        var api = Members.withPolicy(project, Members.policy(project, """
                "resource":[{"resourceType":"Observation","compartment":{"reference":"Patient/p1"}}]""")).api();
        assertThat(ids(api.get("/fhir/R4/Observation").json())).containsExactly(in);
        assertThat(api.get("/fhir/R4/Observation/" + out).status()).isEqualTo(404);
    }
}
