package dev.fhirhook.bot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.testing.AdminProjects;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Bot creation with its membership ({@code /admin/projects/{id}/bot}, {@code Bot/$init}), the attachment rules,
 * and the Bot rules every write path shares: only super admins set {@code system}; {@code timeout} is 1..900.
 */
class BotCreationTest {
    private static final TestServer SERVER = TestServer.get();

    private static String adminPath(String projectId) {
        return "/admin/projects/" + projectId + "/bot";
    }

    private static String b64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode binary(String url) {
        var reply = SERVER.admin().get("/fhir/R4/" + url);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    @Test
    void the_admin_route_creates_a_bot_its_membership_and_a_typescript_template() {
        TestProject project = AdminProjects.create(SERVER);
        String policy = AdminProjects.policy(SERVER, project.projectId(), "bot policy");
        var reply = project.api().post(adminPath(project.projectId()), """
                {"name":"stripe-to-invoice","description":"turns Stripe events into Invoices",
                 "accessPolicy":{"reference":"AccessPolicy/%s"}}""".formatted(policy));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        var bot = reply.json();
        String id = bot.path("id").asText();
        assertThat(bot.path("resourceType").asText()).isEqualTo("Bot");
        assertThat(bot.path("name").asText()).isEqualTo("stripe-to-invoice");
        assertThat(bot.path("description").asText()).isEqualTo("turns Stripe events into Invoices");
        assertThat(bot.path("runtimeVersion").asText()).isEqualTo("awslambda");
        assertThat(bot.path("meta").path("project").asText()).isEqualTo(project.projectId());
        assertThat(bot.has("executableCode")).isFalse();
        assertThat(bot.has("system")).isFalse();
        var source = bot.path("sourceCode");
        assertThat(source.path("contentType").asText()).isEqualTo("text/typescript");
        assertThat(source.path("title").asText()).isEqualTo("index.ts");
        assertThat(source.path("url").asText()).startsWith("Binary/");
        var template = binary(source.path("url").asText());
        assertThat(template.path("meta").path("project").asText()).isEqualTo(project.projectId());
        assertThat(new String(Base64.getDecoder().decode(template.path("data").asText()), StandardCharsets.UTF_8))
                .contains("export async function handler(medplum: MedplumClient, event: BotEvent)");

        var membership = AdminProjects.membershipOf(SERVER, "Bot/" + id);
        assertThat(membership.path("profile").path("reference").asText()).isEqualTo("Bot/" + id);
        assertThat(membership.path("project").path("reference").asText()).isEqualTo("Project/" + project.projectId());
        assertThat(membership.path("accessPolicy").path("reference").asText()).isEqualTo("AccessPolicy/" + policy);
        assertThat(membership.path("meta").path("project").asText()).isEqualTo(project.projectId());
    }

    @Test
    void init_creates_the_bot_for_an_admin_member_from_parameters_and_refuses_others() {
        TestProject project = AdminProjects.create(SERVER);
        String code = "exports.handler = async () => 'ok';";
        var reply = project.api().post("/fhir/R4/Bot/$init", """
                {"resourceType":"Parameters","parameter":[
                  {"name":"name","valueString":"init bot"},
                  {"name":"runtimeVersion","valueString":"vmcontext"},
                  {"name":"sourceCode","valueAttachment":{"contentType":"text/javascript","title":"bot.js","data":"%s"}},
                  {"name":"executableCode","valueAttachment":{"data":"%s"}},
                  {"name":"timeout","valueInteger":30}]}""".formatted(b64(code), b64(code)));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        var bot = reply.json();
        assertThat(bot.path("runtimeVersion").asText()).isEqualTo("vmcontext");
        assertThat(bot.path("timeout").asInt()).isEqualTo(30);
        assertThat(bot.path("sourceCode").path("title").asText()).isEqualTo("bot.js");
        assertThat(bot.path("executableCode").path("contentType").asText()).isEqualTo("text/javascript");
        assertThat(bot.path("executableCode").path("title").asText()).isEqualTo("index.js");
        var executable = binary(bot.path("executableCode").path("url").asText());
        assertThat(new String(Base64.getDecoder().decode(executable.path("data").asText()), StandardCharsets.UTF_8)).isEqualTo(code);
        assertThat(AdminProjects.membershipOf(SERVER, "Bot/" + bot.path("id").asText()).has("accessPolicy")).isFalse();

        TestProject plain = SERVER.newProject(); // membership not admin
        var refused = plain.api().post("/fhir/R4/Bot/$init", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"name\",\"valueString\":\"x\"}]}");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.json().path("id").asText()).isEqualTo("forbidden");
        assertThat(AdminProjects.count(SERVER, "Bot", plain.projectId())).isZero();
        assertThat(SERVER.anonymous().post("/fhir/R4/Bot/$init", "{}").status()).isEqualTo(401);
    }

    @Test
    void runtimes_other_than_awslambda_vmcontext_and_fission_are_refused() {
        TestProject project = AdminProjects.create(SERVER);
        for (String runtime : new String[] {"awslambda", "vmcontext", "fission"}) {
            var reply = project.api().post(adminPath(project.projectId()), "{\"name\":\"" + runtime + "\",\"runtimeVersion\":\"" + runtime + "\"}");
            assertThat(reply.status()).as(runtime).isEqualTo(201);
            assertThat(reply.json().path("runtimeVersion").asText()).isEqualTo(runtime);
        }
        for (String body : new String[] {"{\"name\":\"x\",\"runtimeVersion\":\"node18\"}", "{\"name\":\"x\",\"runtimeVersion\":\"\"}",
                "{\"name\":\"x\",\"runtimeVersion\":\"AWSLAMBDA\"}"}) {
            var reply = project.api().post(adminPath(project.projectId()), body);
            assertThat(reply.status()).as(body).isEqualTo(400);
            assertThat(reply.outcomeText()).isEqualTo("Unsupported bot runtime");
        }
        assertThat(project.api().post(adminPath(project.projectId()), "{\"name\":\"x\",\"runtimeVersion\":1}").outcomeText())
                .isEqualTo("Invalid runtimeVersion: must be a string");
        assertThat(AdminProjects.count(SERVER, "Bot", project.projectId())).isEqualTo(3);
    }

    @Test
    void attachments_follow_medplums_rules_and_a_refused_one_leaves_nothing_behind() {
        TestProject project = AdminProjects.create(SERVER);
        TestProject other = SERVER.newProject();
        var theirs = SERVER.admin().post("/fhir/R4/Binary", "{\"resourceType\":\"Binary\",\"contentType\":\"text/javascript\","
                + "\"data\":\"eA==\",\"meta\":{\"project\":\"" + other.projectId() + "\"}}");
        assertThat(theirs.status()).isEqualTo(201);
        var ours = project.api().post("/fhir/R4/Binary", "{\"resourceType\":\"Binary\",\"contentType\":\"text/javascript\",\"data\":\"eA==\"}");
        assertThat(ours.status()).isEqualTo(201);
        long binaries = AdminProjects.count(SERVER, "Binary", project.projectId());
        String[][] cases = {
                {"{\"url\":\"https://example.com/code.js\"}", "Invalid attachment: URL must start with Binary/"},
                {"{\"url\":\"binary/x\"}", "Invalid attachment: URL must start with Binary/"},
                {"{\"url\":7}", "Invalid attachment: URL must start with Binary/"},
                {"{\"url\":\"Binary/" + theirs.json().path("id").asText() + "\"}", "Invalid attachment: Binary not found"},
                {"{\"url\":\"Binary/" + UUID.randomUUID() + "\"}", "Invalid attachment: Binary not found"},
                {"{\"url\":\"Binary/../Patient/1\"}", "Invalid attachment: Binary not found"},
                {"{}", "Invalid attachment: Missing data or url"},
                {"{\"data\":\"\"}", "Invalid attachment: Missing data or url"},
                {"{\"data\":5}", "Invalid attachment: Missing data or url"},
                {"\"Binary/x\"", "Invalid attachment: Missing data or url"},
                {"{\"data\":\"not base64!\"}", "Invalid attachment: Invalid base64 data"},
                {"{\"data\":\"eA=x\"}", "Invalid attachment: Invalid base64 data"},
                {"{\"data\":\"eA\",\"contentType\":5}", "Invalid attachment: contentType must be a string"},
        };
        for (String[] c : cases) {
            for (String field : new String[] {"sourceCode", "executableCode"}) {
                String name = "refused " + UUID.randomUUID();
                // a good sourceCode first, so a refused executableCode comes after a Binary was already written
                String body = field.equals("sourceCode") ? "{\"name\":\"" + name + "\",\"sourceCode\":" + c[0] + "}"
                        : "{\"name\":\"" + name + "\",\"sourceCode\":{\"data\":\"eA==\"},\"executableCode\":" + c[0] + "}";
                var reply = project.api().post(adminPath(project.projectId()), body);
                assertThat(reply.status()).as(field + " " + c[0]).isEqualTo(400);
                assertThat(reply.outcomeText()).as(field + " " + c[0]).isEqualTo(c[1]);
                assertThat(AdminProjects.countByName(SERVER, "Bot", project.projectId(), name)).isZero();
            }
        }
        assertThat(AdminProjects.count(SERVER, "Binary", project.projectId())).as("no Binary left by refused bots").isEqualTo(binaries);
        assertThat(AdminProjects.count(SERVER, "ProjectMembership", project.projectId())).isEqualTo(1);

        var byUrl = project.api().post(adminPath(project.projectId()), "{\"name\":\"by url\",\"executableCode\":{\"url\":\"Binary/"
                + ours.json().path("id").asText() + "\",\"contentType\":\"text/javascript\"}}");
        assertThat(byUrl.status()).as(byUrl.toString()).isEqualTo(201);
        assertThat(byUrl.json().path("executableCode").path("url").asText()).isEqualTo("Binary/" + ours.json().path("id").asText());
        assertThat(project.api().post(adminPath(project.projectId()), "{\"name\":\"unpadded\",\"sourceCode\":{\"data\":\"eA\"}}").status())
                .isEqualTo(201);
    }

    @Test
    void only_super_admins_set_or_change_bot_system_on_every_write_path() {
        TestProject project = AdminProjects.create(SERVER);
        var api = project.api();
        String name = "system " + UUID.randomUUID();
        var viaAdmin = api.post(adminPath(project.projectId()), "{\"name\":\"" + name + "\",\"system\":true}");
        assertThat(viaAdmin.status()).isEqualTo(403);
        assertThat(viaAdmin.outcomeText()).isEqualTo("Forbidden: only super admins can set Bot.system");
        var viaInit = api.post("/fhir/R4/Bot/$init", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"name\",\"valueString\":\""
                + name + "\"},{\"name\":\"system\",\"valueBoolean\":true}]}");
        assertThat(viaInit.status()).isEqualTo(403);
        assertThat(api.post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"" + name + "\",\"system\":true}").status()).isEqualTo(403);
        var transaction = api.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Bot","name":"%s","system":true},
                 "request":{"method":"POST","url":"Bot"}}]}""".formatted(name));
        assertThat(transaction.status()).isEqualTo(403);
        var batch = api.post("/fhir/R4", """
                {"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Bot","name":"%s","system":true},
                 "request":{"method":"POST","url":"Bot"}}]}""".formatted(name));
        assertThat(batch.json().path("entry").path(0).path("response").path("status").asText()).startsWith("403");
        assertThat(AdminProjects.countByName(SERVER, "Bot", project.projectId(), name)).as("no Bot and no orphan").isZero();
        assertThat(AdminProjects.count(SERVER, "ProjectMembership", project.projectId())).isEqualTo(1);

        // a plain bot cannot be made a system bot by PUT or PATCH
        var plain = api.post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"plain\",\"system\":false}");
        assertThat(plain.status()).as(plain.toString()).isEqualTo(201);
        String plainId = plain.json().path("id").asText();
        var raised = (ObjectNode) plain.json();
        raised.put("system", true);
        assertThat(api.put("/fhir/R4/Bot/" + plainId, raised.toString()).status()).isEqualTo(403);
        assertThat(api.patch("/fhir/R4/Bot/" + plainId, "[{\"op\":\"replace\",\"path\":\"/system\",\"value\":true}]").status()).isEqualTo(403);
        assertThat(api.put("/fhir/R4/Bot/" + plainId, raised.put("system", "true").toString()).status()).isEqualTo(400);

        // the super admin may; the project's admin then can edit the bot but not take system away or keep it by omission
        var system = SERVER.admin().post(adminPath(project.projectId()), "{\"name\":\"system bot\",\"system\":true}");
        assertThat(system.status()).as(system.toString()).isEqualTo(201);
        assertThat(system.json().path("system").asBoolean()).isTrue();
        String systemId = system.json().path("id").asText();
        var edited = (ObjectNode) api.get("/fhir/R4/Bot/" + systemId).json();
        edited.remove("system");
        edited.put("description", "edited by the project admin");
        var put = api.put("/fhir/R4/Bot/" + systemId, edited.toString());
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(put.json().path("system").asBoolean()).as("left out: kept").isTrue();
        assertThat(api.patch("/fhir/R4/Bot/" + systemId, "[{\"op\":\"replace\",\"path\":\"/system\",\"value\":false}]").status())
                .isEqualTo(403);
        assertThat(SERVER.admin().patch("/fhir/R4/Bot/" + systemId, "[{\"op\":\"replace\",\"path\":\"/system\",\"value\":false}]")
                .status()).isEqualTo(200);
    }

    @Test
    void a_timeout_must_be_between_1_and_900_seconds_on_every_write_path() {
        TestProject project = AdminProjects.create(SERVER);
        var api = project.api();
        String[][] cases = {
                {"901", "Bot timeout exceeds allowed maximum of 900 seconds"},
                {"100000000000", "Bot timeout exceeds allowed maximum of 900 seconds"},
                {"0", "Invalid Bot timeout: must be a whole number of seconds from 1 to 900"},
                {"-5", "Invalid Bot timeout: must be a whole number of seconds from 1 to 900"},
                {"1.5", "Invalid Bot timeout: must be a whole number of seconds from 1 to 900"},
                {"\"10\"", "Invalid Bot timeout: must be a whole number of seconds from 1 to 900"},
        };
        for (String[] c : cases) {
            var viaAdmin = api.post(adminPath(project.projectId()), "{\"name\":\"t\",\"timeout\":" + c[0] + "}");
            assertThat(viaAdmin.status()).as(c[0]).isEqualTo(400);
            assertThat(viaAdmin.outcomeText()).as(c[0]).isEqualTo(c[1]);
            var viaRest = api.post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"t\",\"timeout\":" + c[0] + "}");
            assertThat(viaRest.status()).as(c[0]).isEqualTo(400);
            var viaSuperAdmin = SERVER.admin().post(adminPath(project.projectId()), "{\"name\":\"t\",\"timeout\":" + c[0] + "}");
            assertThat(viaSuperAdmin.status()).as("a range, not a privilege: " + c[0]).isEqualTo(400);
        }
        assertThat(AdminProjects.countByName(SERVER, "Bot", project.projectId(), "t")).isZero();
        assertThat(api.post(adminPath(project.projectId()), "{\"name\":\"t\",\"timeout\":900}").status()).isEqualTo(201);
        assertThat(api.post(adminPath(project.projectId()), "{\"name\":\"t\",\"timeout\":1}").status()).isEqualTo(201);
    }

    @Test
    void names_callers_projects_and_bodies_that_do_not_fit_are_refused_and_the_server_stays_healthy() {
        TestProject project = AdminProjects.create(SERVER);
        TestProject other = AdminProjects.create(SERVER);
        TestProject plain = SERVER.newProject();
        String p = adminPath(project.projectId());
        for (String body : new String[] {"{}", "{\"name\":\"\"}", "{\"name\":\" \"}"}) {
            var reply = project.api().post(p, body);
            assertThat(reply.status()).as(body).isEqualTo(400);
            assertThat(reply.outcomeText()).isEqualTo("Bot name is required");
        }
        assertThat(project.api().post("/fhir/R4/Bot/$init", "{\"resourceType\":\"Parameters\",\"parameter\":[]}").outcomeText())
                .isEqualTo("Bot name is required");
        assertThat(project.api().post("/fhir/R4/Bot/$init", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"name\"}]}")
                .outcomeText()).isEqualTo("Bot name is required");
        assertThat(project.api().post("/fhir/R4/Bot/$init", "{\"resourceType\":\"Parameters\",\"parameter\":[{\"name\":\"name\",\"valueString\":\"a\"},{\"name\":\"name\",\"valueString\":\"b\"}]}")
                .outcomeText()).isEqualTo("Expected at most one value for parameter name");
        assertThat(project.api().post("/fhir/R4/Bot/$init", "{\"resourceType\":\"Patient\"}").outcomeText()).isEqualTo("Expected a Parameters resource");
        assertThat(project.api().post("/fhir/R4/Bot/$init", "{\"name\":\"plain object\"}").status()).isEqualTo(201);
        assertThat(project.api().post(p, "{\"name\":[\"x\"]}").outcomeText()).isEqualTo("Invalid name: must be a string");
        assertThat(project.api().post(p, "{\"name\":\"x\",\"description\":{}}").outcomeText()).isEqualTo("Invalid description: must be a string");
        assertThat(project.api().post(p, "{\"name\":\"x\",\"accessPolicy\":{\"reference\":\"AccessPolicy/"
                + AdminProjects.policy(SERVER, other.projectId(), "theirs") + "\"}}").outcomeText())
                .isEqualTo("Invalid access policy: not found in this project");
        assertThat(project.api().post(p, "{\"name\":").status()).isEqualTo(400);
        assertThat(project.api().post(p, "[]").status()).isEqualTo(400);
        assertThat(project.api().raw("POST", p, "text/plain", "{\"name\":\"x\"}".getBytes()).status()).isEqualTo(415);
        byte[] huge = ("{\"name\":\"x\",\"sourceCode\":{\"data\":\"" + "A".repeat(2 * 1024 * 1024) + "\"}}").getBytes();
        assertThat(AdminProjects.postTooLarge(project.api(), p, huge).status()).isEqualTo(413);
        // callers and projects
        assertThat(plain.api().post(adminPath(plain.projectId()), "{\"name\":\"x\"}").status()).isEqualTo(403);
        assertThat(other.api().post(p, "{\"name\":\"x\"}").status()).isEqualTo(403);
        assertThat(project.api().post(adminPath(UUID.randomUUID().toString()), "{\"name\":\"x\"}").status()).isEqualTo(403);
        assertThat(SERVER.admin().post(adminPath(UUID.randomUUID().toString()), "{\"name\":\"x\"}").status()).isEqualTo(404);
        assertThat(SERVER.admin().post(adminPath("bad%20id"), "{\"name\":\"x\"}").status()).isEqualTo(400);
        assertThat(new Api(SERVER.baseUrl(), project.clientId(), "wrong").post(p, "{\"name\":\"x\"}").status()).isEqualTo(401);

        assertThat(AdminProjects.count(SERVER, "Bot", project.projectId())).isEqualTo(1);
        assertThat(AdminProjects.count(SERVER, "ProjectMembership", project.projectId())).as("one per bot, plus the admin's").isEqualTo(2);
        assertThat(AdminProjects.count(SERVER, "Bot", plain.projectId())).isZero();
        assertThat(SERVER.anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_bot_created_with_a_plain_post_gets_no_membership() {
        TestProject project = AdminProjects.create(SERVER);
        var bot = project.api().post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"bare\"}");
        assertThat(bot.status()).isEqualTo(201);
        var found = SERVER.admin().get("/fhir/R4/ProjectMembership?user=Bot/" + bot.json().path("id").asText());
        assertThat(found.json().path("entry").size()).isZero();
    }
}
