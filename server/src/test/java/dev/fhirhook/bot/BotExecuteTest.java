package dev.fhirhook.bot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestBot;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code $deploy} and {@code $execute} over HTTP: the seed's bot, input by content type, reply rules, async jobs. */
class BotExecuteTest {
    /** Echoes what it received, so the tests can see the event. */
    static final String ECHO = """
            exports.handler = async (medplum, event) => ({
              input: event.input, rawBody: event.rawBody, contentType: event.contentType, headers: event.headers,
              traceId: event.traceId, requester: event.requester, bot: event.bot, secrets: event.secrets,
              rawBodyEncoding: event.rawBodyEncoding });
            """;
    /** Returns whatever {@code event.input.value} says, so each reply rule can be driven from the test. */
    static final String RETURNS = """
            exports.handler = async (medplum, event) => {
              const v = event.input.value;
              if (v === '__undefined') return undefined;
              return v;
            };
            """;

    static TestProject project;
    static TestBot echo;
    static TestBot returns;

    @BeforeAll
    static void deploy_bots() {
        project = TestServer.get().newProject();
        echo = TestBot.create(project).deploy(ECHO);
        returns = TestBot.create(project).deploy(RETURNS);
    }

    static JsonNode echoed(String contentType, String body) {
        var reply = echo.execute(contentType, body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    @Test
    void a_medplum_style_bot_upserts_an_invoice_and_an_account_under_a_policy_of_those_types_and_leaves_an_audit_event() {
        var own = TestServer.get().newProject();
        var bot = TestBot.create(own, "", "[{\"resourceType\":\"Invoice\"},{\"resourceType\":\"Account\"}]").deploy("""
                exports.handler = async (medplum, event) => {
                  const paid = event.input.data.object;
                  console.log('invoice', paid.id, 'for', paid.customer);
                  const account = await medplum.upsertResource(
                    { resourceType: 'Account', status: 'active', identifier: [{ system: 'https://stripe.com/customer', value: paid.customer }] },
                    { identifier: 'https://stripe.com/customer|' + paid.customer });
                  const invoice = await medplum.upsertResource(
                    { resourceType: 'Invoice', status: 'balanced', identifier: [{ system: 'https://stripe.com/invoice', value: paid.id }],
                      account: { reference: 'Account/' + account.id },
                      totalGross: { value: paid.amount_paid / 100, currency: paid.currency.toUpperCase() } },
                    'identifier=https://stripe.com/invoice|' + paid.id);
                  return { invoice: invoice.id, account: account.id };
                };
                """);
        String event = """
                {"type":"invoice.paid","data":{"object":{"id":"in_1","customer":"cus_9","amount_paid":2500,"currency":"usd"}}}""";
        var first = bot.executeJson(event);
        assertThat(first.status()).as(first.toString()).isEqualTo(200);
        var again = bot.executeJson(event);
        assertThat(again.json().get("invoice")).isEqualTo(first.json().get("invoice"));
        var invoices = own.api().get("/fhir/R4/Invoice?identifier=https://stripe.com/invoice%7Cin_1");
        assertThat(invoices.json().path("entry")).hasSize(1);
        var invoice = invoices.json().path("entry").path(0).path("resource");
        assertThat(invoice.path("totalGross").path("value").asDouble()).isEqualTo(25.0);
        assertThat(invoice.path("meta").path("author").path("reference").asText()).isEqualTo("Bot/" + bot.id());
        assertThat(own.api().get("/fhir/R4/Account?identifier=https://stripe.com/customer%7Ccus_9").json().path("entry")).hasSize(1);

        var audit = firstAuditOf(own, bot);
        assertThat(audit.path("type").path("code").asText()).isEqualTo("execute");
        assertThat(audit.path("type").path("system").asText()).isEqualTo("https://medplum.com/CodeSystem/audit-event");
        assertThat(audit.path("outcome").asText()).isEqualTo("0");
        assertThat(audit.path("outcomeDesc").asText()).contains("invoice in_1 for cus_9");
        assertThat(audit.path("source").path("observer").path("reference").asText()).isEqualTo("Bot/" + bot.id());
        assertThat(audit.path("agent").path(0).path("who").path("reference").asText()).isEqualTo("ClientApplication/" + own.clientId());
        assertThat(audit.path("agent").path(1).path("who").path("reference").asText()).isEqualTo("Bot/" + bot.id());
        assertThat(audit.path("period").path("start").asText()).isNotEmpty();
        assertThat(audit.toString()).contains("https://medplum.com/fhir/StructureDefinition/tracing", "durationMs");
    }

    static JsonNode firstAuditOf(TestProject project, TestBot bot) {
        var reply = TestServer.get().admin().get("/fhir/R4/AuditEvent?_count=200");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode found = null;
        for (JsonNode entry : reply.json().path("entry")) {
            var resource = entry.path("resource");
            if (resource.path("source").path("observer").path("reference").asText().equals("Bot/" + bot.id())) found = resource;
        }
        assertThat(found).as("an AuditEvent of Bot/" + bot.id()).isNotNull();
        return found;
    }

    // --- input by content type -------------------------------------------------------------------

    @Test
    void json_is_parsed_and_the_raw_bytes_are_kept() {
        var echoed = echoed("application/json", "{ \"a\" : [1, 2.50] }");
        assertThat(echoed.path("input").path("a").path(1).asDouble()).isEqualTo(2.5);
        assertThat(echoed.path("rawBody").asText()).isEqualTo("{ \"a\" : [1, 2.50] }");
        assertThat(echoed.path("contentType").asText()).isEqualTo("application/json");
    }

    @Test
    void a_json_body_reaches_the_bot_as_javascript_parses_it_with_the_event_keys_in_their_order() {
        // the sandbox parses a JSON body itself (BotEvent.jsonBody): same values, same key order, exact raw text
        var bot = TestBot.create(project).deploy("""
                exports.handler = async (medplum, event) => ({
                  keys: Object.keys(event), inputKeys: Object.keys(event.input), big: String(event.input.big),
                  exact: event.input.exact, tiny: event.input.tiny, nested: event.input.a.b[1].c,
                  unicode: event.input.u, raw: event.rawBody, rawIsString: typeof event.rawBody === 'string' });
                """);
        String body = "{\"z\":1,\"big\":12345678901234567890,\"exact\":0.1000,\"tiny\":1e-400,"
                + "\"a\":{\"b\":[null,{\"c\":\"\\u00e9\\ud83d\\ude00\"}]},\"u\":\"\u00e9\"}";
        var reply = bot.execute("application/json", body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var json = reply.json();
        assertThat(json.path("keys").toString()).isEqualTo(
                "[\"bot\",\"requester\",\"input\",\"rawBody\",\"contentType\",\"secrets\",\"traceId\",\"headers\"]");
        assertThat(json.path("inputKeys").toString()).isEqualTo("[\"z\",\"big\",\"exact\",\"tiny\",\"a\",\"u\"]");
        assertThat(json.path("big").asText()).isEqualTo("12345678901234567000"); // a double, as in Node
        assertThat(json.path("exact").asDouble()).isEqualTo(0.1);
        assertThat(json.path("tiny").asDouble()).isEqualTo(0.0);
        assertThat(json.path("nested").asText()).isEqualTo("\u00e9\ud83d\ude00");
        assertThat(json.path("unicode").asText()).isEqualTo("\u00e9");
        assertThat(json.path("raw").asText()).isEqualTo(body);
        assertThat(json.path("rawIsString").asBoolean()).isTrue();
    }

    @Test
    void a_json_body_with_a_byte_order_mark_is_still_parsed_and_its_raw_text_keeps_the_mark() {
        // JSON.parse refuses a leading U+FEFF that the server's parser skips: such a body keeps the server's reading
        var echoed = echoed("application/json", "\uFEFF{\"a\":1}");
        assertThat(echoed.path("input").path("a").asInt()).isEqualTo(1);
        assertThat(echoed.path("rawBody").asText()).isEqualTo("\uFEFF{\"a\":1}");
    }

    @Test
    void a_json_array_and_fhir_json_and_any_plus_json_are_parsed() {
        assertThat(echoed("application/json", "[1,2]").path("input").size()).isEqualTo(2);
        assertThat(echoed("application/fhir+json", "{\"resourceType\":\"Patient\"}").path("input").path("resourceType").asText())
                .isEqualTo("Patient");
        assertThat(echoed("application/vnd.stripe+json; charset=utf-8", "{\"x\":1}").path("input").path("x").asInt()).isEqualTo(1);
    }

    @Test
    void text_and_hl7_and_xml_arrive_as_text_even_with_parameters() {
        assertThat(echoed("text/plain", "hello").path("input").asText()).isEqualTo("hello");
        assertThat(echoed("text/plain; charset=utf-8", "héllo").path("input").asText()).isEqualTo("héllo");
        String hl7 = "MSH|^~\\&|A|B|C|D|202601011200||ADT^A01|1|P|2.5\rPID|1||123";
        assertThat(echoed("x-application/hl7-v2+er7; charset=utf-8", hl7).path("input").asText()).isEqualTo(hl7);
        assertThat(echoed("application/xml", "<a>1</a>").path("input").asText()).isEqualTo("<a>1</a>");
        assertThat(echoed("text/xml", "<a/>").path("input").asText()).isEqualTo("<a/>");
    }

    @Test
    void a_form_becomes_a_flat_map_and_a_repeated_key_an_array() {
        var input = echoed("application/x-www-form-urlencoded", "From=%2B15551234&Body=hi+there&tag=a&tag=b").path("input");
        assertThat(input.path("From").asText()).isEqualTo("+15551234");
        assertThat(input.path("Body").asText()).isEqualTo("hi there");
        assertThat(input.path("tag").isArray()).isTrue();
        assertThat(input.path("tag").size()).isEqualTo(2);
    }

    @Test
    void other_types_are_never_dropped_and_bytes_that_are_not_text_arrive_as_base64() {
        assertThat(echoed("multipart/form-data; boundary=x", "--x\r\nhi\r\n--x--").path("input").asText()).contains("hi");
        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1, 2};
        var reply = project.api().raw("POST", "/fhir/R4/Bot/" + echo.id() + "/$execute", "application/octet-stream", binary);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("rawBodyEncoding").asText()).isEqualTo("base64");
        assertThat(Base64.getDecoder().decode(reply.json().path("input").asText())).isEqualTo(binary);
    }

    @Test
    void get_passes_the_query_map() {
        var reply = project.api().get("/fhir/R4/Bot/" + echo.id() + "/$execute?a=1&b=2&b=3");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("input").path("a").asText()).isEqualTo("1");
        assertThat(reply.json().path("input").path("b").size()).isEqualTo(2);
    }

    @Test
    void malformed_json_is_400_and_no_bot_runs() {
        var reply = echo.execute("application/json", "{\"a\":");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("Content could not be parsed");
        assertThat(echo.execute("application/json", "\"just a string\"").status()).isEqualTo(400);
        assertThat(echo.execute("application/json; charset=iso-8859-1", "{}").status()).isEqualTo(415);
    }

    // --- the event -------------------------------------------------------------------------------

    @Test
    void the_event_names_bot_requester_trace_and_headers_but_never_the_callers_credentials() {
        var request = project.api().request("/fhir/R4/Bot/" + echo.id() + "/$execute")
                .header("Content-Type", "application/json").header("X-Trace-Id", "8c2a7d3e-5f0b-4b7e-9d35-0f1e2d3c4b5a")
                .header("Stripe-Signature", "t=1,v1=abc").header("Cookie", "session=secret")
                .POST(HttpRequest.BodyPublishers.ofString("{}"));
        var reply = project.api().send(request);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        var event = reply.json();
        assertThat(event.path("bot").path("reference").asText()).isEqualTo("Bot/" + echo.id());
        assertThat(event.path("bot").path("display").asText()).isEqualTo("test bot");
        assertThat(event.path("requester").path("reference").asText()).isEqualTo("ClientApplication/" + project.clientId());
        assertThat(event.path("traceId").asText()).isEqualTo("8c2a7d3e-5f0b-4b7e-9d35-0f1e2d3c4b5a");
        assertThat(event.path("headers").path("stripe-signature").asText()).isEqualTo("t=1,v1=abc");
        assertThat(event.path("headers").has("authorization")).isFalse();
        assertThat(event.path("headers").has("cookie")).isFalse();
    }

    @Test
    void the_event_carries_the_project_secrets_by_name() {
        var own = TestServer.get().newProject();
        var patch = TestServer.get().admin().patch("/fhir/R4/Project/" + own.projectId(), """
                [{"op":"add","path":"/secret","value":[{"name":"STRIPE_KEY","valueString":"sk_test_1"},{"name":"RETRIES","valueInteger":3}]},
                 {"op":"add","path":"/systemSecret","value":[{"name":"SYSTEM_ONLY","valueString":"x"}]}]""");
        assertThat(patch.status()).as(patch.toString()).isEqualTo(200);
        var bot = TestBot.create(own).deploy(ECHO);
        var secrets = bot.executeJson("{}").json().path("secrets");
        assertThat(secrets.path("STRIPE_KEY").path("valueString").asText()).isEqualTo("sk_test_1");
        assertThat(secrets.path("RETRIES").path("valueInteger").asInt()).isEqualTo(3);
        assertThat(secrets.has("SYSTEM_ONLY")).as("systemSecret only for Bot.system").isFalse();
    }

    // --- reply rules -----------------------------------------------------------------------------

    static Api.Reply returning(String contentType, String valueJson) {
        return returns.execute(contentType, "{\"value\":" + valueJson + "}");
    }

    @Test
    void undefined_answers_all_ok() {
        var reply = returning("application/json", "\"__undefined\"");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("resourceType").asText()).isEqualTo("OperationOutcome");
        assertThat(reply.json().path("id").asText()).isEqualTo("ok");
    }

    @Test
    void a_string_is_sent_raw_as_json_unless_the_request_was_text() {
        var json = returning("application/json", "\"<Response/>\"");
        assertThat(json.body()).isEqualTo("<Response/>");
        assertThat(json.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
        var text = returns.execute("text/plain", "ignored");
        assertThat(text.status()).isEqualTo(200); // input is a string, value undefined -> allOk
    }

    @Test
    void a_number_is_its_decimal_text_and_never_a_status() {
        var reply = returning("application/json", "404");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.body()).isEqualTo("404");
        assertThat(returning("application/json", "2.5").body()).isEqualTo("2.5");
    }

    @Test
    void objects_arrays_and_booleans_are_json() {
        assertThat(returning("application/json", "{\"ok\":true}").json().path("ok").asBoolean()).isTrue();
        assertThat(returning("application/json", "[1,2]").body()).isEqualTo("[1,2]");
        assertThat(returning("application/json", "false").body()).isEqualTo("false");
    }

    @Test
    void an_operation_outcome_picks_the_status_by_its_id() {
        var unauthorized = returning("application/json", """
                {"resourceType":"OperationOutcome","id":"unauthorized","issue":[{"severity":"error","code":"login"}]}""");
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.header("Content-Type")).startsWith("application/fhir+json");
        assertThat(returning("application/json", """
                {"resourceType":"OperationOutcome","id":"not-found","issue":[{"severity":"error","code":"not-found"}]}""").status())
                .isEqualTo(404);
        assertThat(returning("application/json", """
                {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid"}]}""").status()).isEqualTo(400);
        assertThat(returning("application/json", """
                {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception"}]}""").status()).isEqualTo(500);
    }

    @Test
    void a_binary_is_sent_raw_with_its_content_type() {
        String twiml = "<Response><Message>ok</Message></Response>";
        var reply = returning("application/json", """
                {"resourceType":"Binary","contentType":"text/xml","data":"%s"}"""
                .formatted(Base64.getEncoder().encodeToString(twiml.getBytes(StandardCharsets.UTF_8))));
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("Content-Type")).isEqualTo("text/xml");
        assertThat(reply.body()).isEqualTo(twiml);
    }

    @Test
    void another_resource_is_fhir_json_with_its_version_headers() {
        var reply = returning("application/json", """
                {"resourceType":"Patient","id":"p1","meta":{"versionId":"7","lastUpdated":"2026-01-02T03:04:05Z"}}""");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("Content-Type")).startsWith("application/fhir+json");
        assertThat(reply.header("ETag")).isEqualTo("W/\"7\"");
        assertThat(reply.header("Last-Modified")).isEqualTo("Fri, 2 Jan 2026 03:04:05 GMT");
    }

    @Test
    void a_failed_run_is_400_with_the_error_message_and_an_audit_event_with_outcome_4() {
        var own = TestServer.get().newProject();
        var bot = TestBot.create(own).deploy("exports.handler = async () => { console.log('about to fail'); throw new Error('card declined'); };");
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("card declined");
        var audit = firstAuditOf(own, bot);
        assertThat(audit.path("outcome").asText()).isEqualTo("4");
        assertThat(audit.path("outcomeDesc").asText()).contains("about to fail");
    }

    @Test
    void a_run_that_prints_nothing_has_no_outcome_desc_rather_than_an_empty_string() {
        var own = TestServer.get().newProject();
        var bot = TestBot.create(own).deploy("exports.handler = async () => 'quiet';");
        assertThat(bot.executeJson("{}").status()).isEqualTo(200);
        var audit = firstAuditOf(own, bot);
        assertThat(audit.path("outcome").asText()).isEqualTo("0");
        assertThat(audit.has("outcomeDesc")).as(audit.toString()).isFalse(); // FHIR: strings SHALL NOT be empty
    }

    // --- who may run it, and as whom -------------------------------------------------------------

    @Test
    void a_bot_without_membership_is_refused_and_never_runs_as_the_caller() {
        var bot = project.api().post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"orphan\"}");
        assertThat(bot.status()).isEqualTo(201);
        var reply = project.api().raw("POST", "/fhir/R4/Bot/" + bot.json().get("id").asText() + "/$execute", "application/json", "{}".getBytes());
        assertThat(reply.status()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("Could not find project membership for bot");
    }

    @Test
    void an_inactive_bot_membership_is_403() {
        var bot = TestBot.create(project).deploy(ECHO);
        var patch = TestServer.get().admin().patch("/fhir/R4/ProjectMembership/" + bot.membershipId(),
                "[{\"op\":\"add\",\"path\":\"/active\",\"value\":false}]");
        assertThat(patch.status()).isEqualTo(200);
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).isEqualTo(403);
        assertThat(reply.outcomeText()).isEqualTo("ProjectMembership is not active");
    }

    @Test
    void bots_are_found_by_identifier_and_extra_path_after_execute_is_ignored() {
        var bot = TestBot.create(project, "\"identifier\":[{\"system\":\"https://example.org/bots\",\"value\":\"echo-1\"}]",
                "[{\"resourceType\":\"*\"}]").deploy(ECHO);
        var byIdentifier = project.api().raw("POST", "/fhir/R4/Bot/$execute?identifier=https://example.org/bots%7Cecho-1",
                "application/json", "{\"x\":1}".getBytes());
        assertThat(byIdentifier.status()).as(byIdentifier.toString()).isEqualTo(200);
        assertThat(byIdentifier.json().path("bot").path("reference").asText()).isEqualTo("Bot/" + bot.id());
        var extra = project.api().raw("POST", "/fhir/R4/Bot/" + bot.id() + "/$execute/some/more", "application/json", "{}".getBytes());
        assertThat(extra.status()).isEqualTo(200);
        var encoded = project.api().raw("POST", "/fhir/R4/Bot/" + bot.id() + "/%24execute", "application/json", "{}".getBytes());
        assertThat(encoded.status()).isEqualTo(200);
    }

    @Test
    void execute_without_id_or_identifier_is_400_and_unknown_bots_404() {
        var none = project.api().raw("POST", "/fhir/R4/Bot/$execute", "application/json", "{}".getBytes());
        assertThat(none.status()).isEqualTo(400);
        assertThat(none.outcomeText()).isEqualTo("Must specify bot ID or identifier.");
        assertThat(project.api().raw("POST", "/fhir/R4/Bot/$execute?identifier=x%7Cnope", "application/json", "{}".getBytes()).status())
                .isEqualTo(404);
        assertThat(project.api().raw("POST", "/fhir/R4/Bot/00000000-0000-0000-0000-000000000000/$execute", "application/json",
                "{}".getBytes()).status()).isEqualTo(404);
        var other = TestServer.get().newProject();
        assertThat(other.api().raw("POST", "/fhir/R4/Bot/" + echo.id() + "/$execute", "application/json", "{}".getBytes()).status())
                .as("another project's bot").isEqualTo(404);
        assertThat(TestServer.get().anonymous().raw("POST", "/fhir/R4/Bot/" + echo.id() + "/$execute", "application/json",
                "{}".getBytes()).status()).isEqualTo(401);
    }

    @ParameterizedTest
    @ValueSource(strings = {"nodejs", "AWSLAMBDA", "lambda"})
    void a_bot_with_a_runtime_version_of_none_of_medplums_three_is_refused_before_it_runs(String version) {
        var reply = executeWithRuntime(version);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).isEqualTo("Unsupported bot runtime");
    }

    @ParameterizedTest
    @ValueSource(strings = {"awslambda", "vmcontext", "fission"})
    void each_of_medplums_three_runtime_versions_runs_here(String version) {
        var reply = executeWithRuntime(version);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    /** {@code $execute} of a new echo bot whose {@code runtimeVersion} is {@code version}. */
    private static Api.Reply executeWithRuntime(String version) {
        var bot = TestBot.create(project, "\"runtimeVersion\":\"" + version + "\"", "[{\"resourceType\":\"*\"}]")
                .deploy(ECHO);
        return project.api().raw("POST", "/fhir/R4/Bot/" + bot.id() + "/$execute", "application/json", "{}".getBytes());
    }

    @Test
    void execute_is_also_served_under_api_with_the_same_checks() {
        var bot = TestBot.create(project, "\"identifier\":[{\"system\":\"https://example.org/bots\",\"value\":\"api-1\"}]",
                "[{\"resourceType\":\"*\"}]").deploy(ECHO);
        for (String path : new String[] {"/api/fhir/R4/Bot/" + bot.id() + "/$execute", "/api/fhir/R4/Bot/" + bot.id() + "/%24execute",
                "/api/fhir/R4/Bot/" + bot.id() + "/$execute/more", "/api/fhir/R4/Bot/$execute?identifier=https://example.org/bots%7Capi-1"}) {
            var posted = project.api().raw("POST", path, "application/json", "{\"x\":1}".getBytes());
            assertThat(posted.status()).as(path + " " + posted).isEqualTo(200);
            assertThat(posted.json().path("bot").path("reference").asText()).isEqualTo("Bot/" + bot.id());
            assertThat(posted.json().path("input").path("x").asInt()).isEqualTo(1);
            var got = project.api().get(path + (path.contains("?") ? "&" : "?") + "y=2");
            assertThat(got.status()).as(path + " " + got).isEqualTo(200);
            assertThat(got.json().path("input").path("y").asText()).isEqualTo("2");
        }
        var other = TestServer.get().newProject();
        assertThat(other.api().raw("POST", "/api/fhir/R4/Bot/" + bot.id() + "/$execute", "application/json", "{}".getBytes())
                .status()).as("another project's bot").isEqualTo(404);
        var anonymous = TestServer.get().anonymous().send(TestServer.get().anonymous()
                .request("/api/fhir/R4/Bot/" + bot.id() + "/$execute?_medplum-prompt-basic-auth").GET());
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.header("WWW-Authenticate")).startsWith("Basic realm=");
        assertThat(project.api().raw("POST", "/api/fhir/R4/Bot/$execute", "application/json", "{}".getBytes()).outcomeText())
                .isEqualTo("Must specify bot ID or identifier.");
        assertThat(TestServer.get().anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    // --- async -----------------------------------------------------------------------------------

    @Test
    void respond_async_answers_202_and_the_job_completes_with_the_result() throws Exception {
        var request = project.api().request("/fhir/R4/Bot/" + returns.id() + "/$execute").header("Content-Type", "application/json")
                .header("Prefer", "respond-async").POST(HttpRequest.BodyPublishers.ofString("{\"value\":\"done\"}"));
        var accepted = project.api().send(request);
        assertThat(accepted.status()).as(accepted.toString()).isEqualTo(202);
        String location = accepted.header("Content-Location");
        assertThat(location).contains("/fhir/R4/job/").endsWith("/status");
        assertThat(accepted.json().path("id").asText()).isEqualTo("accepted");
        String path = location.substring(TestServer.get().baseUrl().length() - 1);
        var job = poll(path);
        assertThat(job.path("status").asText()).isEqualTo("completed");
        assertThat(job.path("output").path("parameter").path(0).path("name").asText()).isEqualTo("responseBody");
        assertThat(job.path("output").path("parameter").path(0).path("valueString").asText()).isEqualTo("done");
    }

    @Test
    void a_failed_async_run_still_completes_with_an_outcome() throws Exception {
        var own = TestServer.get().newProject();
        var bot = TestBot.create(own).deploy("exports.handler = async () => { throw new Error('nope'); };");
        var request = own.api().request("/fhir/R4/Bot/" + bot.id() + "/$execute").header("Content-Type", "application/json")
                .header("Prefer", "respond-async").POST(HttpRequest.BodyPublishers.ofString("{}"));
        var accepted = own.api().send(request);
        assertThat(accepted.status()).isEqualTo(202);
        var job = poll(accepted.header("Content-Location").substring(TestServer.get().baseUrl().length() - 1), own.api());
        assertThat(job.path("status").asText()).isEqualTo("completed");
        assertThat(job.path("output").path("parameter").path(0).path("name").asText()).isEqualTo("outcome");
        assertThat(job.toString()).contains("nope");
    }

    static JsonNode poll(String path) throws InterruptedException {
        return poll(path, project.api());
    }

    static JsonNode poll(String path, Api api) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            var reply = api.get(path);
            if (reply.status() == 200) return reply.json();
            assertThat(reply.status()).as(reply.toString()).isEqualTo(202);
            Thread.sleep(20);
        }
        throw new AssertionError("job did not finish: " + path);
    }

    // --- $deploy ---------------------------------------------------------------------------------

    @Test
    void esm_and_module_exports_bots_deploy_and_run() {
        var esm = TestBot.create(project).deploy("export async function handler(medplum, event) { return 'esm:' + event.input.n; }", "index.mjs");
        assertThat(esm.executeJson("{\"n\":1}").body()).isEqualTo("esm:1");
        var cjs = TestBot.create(project).deploy("module.exports = { handler: async (m, e) => 'cjs:' + e.input.n };");
        assertThat(cjs.executeJson("{\"n\":2}").body()).isEqualTo("cjs:2");
    }

    @Test
    void a_syntax_error_fails_the_deploy_naming_line_and_column() {
        var bot = TestBot.create(project);
        var reply = bot.deployReply("exports.handler = async () => {\n  return 1 +;\n};", "index.js");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.outcomeText()).contains("line 2").contains("column");
        assertThat(TestServer.get().admin().get("/fhir/R4/Bot/" + bot.id()).json().has("executableCode")).isFalse();
    }

    @Test
    void empty_binary_huge_and_wrongly_typed_code_is_refused() {
        var bot = TestBot.create(project);
        assertThat(bot.deployReply("", "index.js").outcomeText()).isEqualTo("Bot missing executable code");
        assertThat(bot.deployReply("exports.handler = () => 1;\u0000\u0001", "index.js").status()).isEqualTo(400);
        String huge = "//" + "x".repeat(BotApi.MAX_CODE_BYTES);
        assertThat(bot.deployReply(huge, "index.js").status()).isEqualTo(400);
        var wrongType = project.api().raw("POST", "/fhir/R4/Bot/" + bot.id() + "/$deploy", "application/json", "{\"code\":42}".getBytes());
        assertThat(wrongType.status()).isEqualTo(400);
        var notJson = project.api().raw("POST", "/fhir/R4/Bot/" + bot.id() + "/$deploy", "application/json", "code=1".getBytes());
        assertThat(notJson.status()).isEqualTo(400);
        var notJs = bot.deployReply("<?php echo 1; ?>", "index.js");
        assertThat(notJs.status()).isEqualTo(400);
        assertThat(TestServer.get().admin().get("/fhir/R4/Bot/" + bot.id()).json().has("executableCode")).isFalse();
        assertThat(bot.execute("application/json", "{}").outcomeText()).isEqualTo("No executable code");
        assertThat(TestServer.get().anonymous().get("/healthcheck").status()).isEqualTo(200);
    }

    @Test
    void a_super_admin_deploying_into_a_project_puts_the_code_beside_the_bot() {
        var own = TestServer.get().newProject();
        var bot = TestBot.create(own);
        var body = "{\"code\":\"exports.handler = async () => 'deployed by the super admin';\"}";
        var deploy = TestServer.get().admin().raw("POST", "/fhir/R4/Bot/" + bot.id() + "/$deploy", "application/json", body.getBytes());
        assertThat(deploy.status()).as(deploy.toString()).isEqualTo(200);
        var run = bot.executeJson("{}");
        assertThat(run.status()).as(run.toString()).isEqualTo(200);
        assertThat(run.body()).isEqualTo("deployed by the super admin");
    }

    @Test
    void a_new_deploy_replaces_the_code_that_runs() {
        var bot = TestBot.create(project).deploy("exports.handler = async () => 'v1';");
        assertThat(bot.executeJson("{}").body()).isEqualTo("v1");
        bot.deploy("exports.handler = async () => 'v2';");
        assertThat(bot.executeJson("{}").body()).isEqualTo("v2");
    }

    // --- cached code and secrets are never stale on this server -----------------------------------------

    /** The id of the Binary the bot's {@code executableCode} names. */
    private static String codeBinary(TestBot bot) {
        String url = TestServer.get().admin().get("/fhir/R4/Bot/" + bot.id()).json().path("executableCode").path("url").asText();
        assertThat(url).startsWith("Binary/");
        return url.substring("Binary/".length());
    }

    private static String binaryJson(String id, String code) {
        return """
                {"resourceType":"Binary","id":"%s","contentType":"text/javascript","data":"%s"}"""
                .formatted(id, Base64.getEncoder().encodeToString(code.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void the_binary_behind_executable_code_replaced_in_place_runs_on_the_very_next_execute() {
        var bot = TestBot.create(project).deploy("exports.handler = async () => 'v1';");
        assertThat(bot.executeJson("{}").body()).isEqualTo("v1");
        assertThat(bot.executeJson("{}").body()).isEqualTo("v1");
        String id = codeBinary(bot);

        var put = project.api().put("/fhir/R4/Binary/" + id, binaryJson(id, "exports.handler = async () => 'v2';"));
        assertThat(put.status()).as(put.toString()).isEqualTo(200);
        assertThat(bot.executeJson("{}").body()).isEqualTo("v2");

        for (String type : new String[] {"transaction", "batch"}) {
            String code = "exports.handler = async () => 'written in a " + type + "';";
            var bundle = project.api().post("/fhir/R4/", """
                    {"resourceType":"Bundle","type":"%s","entry":[{"resource":%s,"request":{"method":"PUT","url":"Binary/%s"}}]}"""
                    .formatted(type, binaryJson(id, code), id));
            assertThat(bundle.status()).as(bundle.toString()).isEqualTo(200);
            assertThat(bundle.json().path("entry").path(0).path("response").path("status").asText()).startsWith("200");
            assertThat(bot.executeJson("{}").body()).isEqualTo("written in a " + type);
        }
    }

    @Test
    void a_bot_is_never_run_with_another_projects_binary_even_once_that_code_is_cached() {
        var ours = TestBot.create(project).deploy("exports.handler = async () => 'our code';");
        assertThat(ours.executeJson("{}").body()).isEqualTo("our code");
        var theirs = TestBot.create(TestServer.get().newProject(), """
                "executableCode":{"contentType":"text/javascript","url":"Binary/%s"}""".formatted(codeBinary(ours)),
                "[{\"resourceType\":\"*\"}]");
        var run = theirs.executeJson("{}");
        assertThat(run.status()).as(run.toString()).isEqualTo(400);
        assertThat(run.outcomeText()).isEqualTo("No executable code");
        assertThat(ours.executeJson("{}").body()).isEqualTo("our code");
    }

    @Test
    void a_changed_project_secret_is_in_the_very_next_run() {
        var own = TestServer.get().newProject();
        setSecret(own, "sk_before");
        var bot = TestBot.create(own).deploy(ECHO);
        assertThat(apiKey(bot)).isEqualTo("sk_before");
        assertThat(apiKey(bot)).isEqualTo("sk_before");
        setSecret(own, "sk_after");
        assertThat(apiKey(bot)).as("the Project write on this server reaches the next run").isEqualTo("sk_after");
    }

    private static String apiKey(TestBot bot) {
        var reply = bot.executeJson("{}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json().path("secrets").path("API_KEY").path("valueString").asText();
    }

    private static void setSecret(TestProject project, String value) {
        var patch = TestServer.get().admin().patch("/fhir/R4/Project/" + project.projectId(), """
                [{"op":"add","path":"/secret","value":[{"name":"API_KEY","valueString":"%s"}]}]""".formatted(value));
        assertThat(patch.status()).as(patch.toString()).isEqualTo(200);
    }
}
