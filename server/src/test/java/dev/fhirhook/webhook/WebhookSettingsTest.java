package dev.fhirhook.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Bot's {@code webhook} element is validated on every write — create, update, conditional update, patch,
 * batch and transaction Bundles — and a bad one is a 400 OperationOutcome naming the element at fault.
 */
class WebhookSettingsTest {
    private static TestProject project;
    private static Api api;

    @BeforeAll
    static void project() {
        project = TestServer.get().newProject();
        api = project.api();
    }

    private static String bot(String webhook) {
        return "{\"resourceType\":\"Bot\",\"name\":\"b\",\"publicWebhook\":true,\"webhook\":" + webhook + "}";
    }

    private static void assertInvalid(Api.Reply reply, String expression) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        var issue = reply.json().path("issue").path(0);
        assertThat(issue.path("code").asText()).isEqualTo("invalid");
        assertThat(issue.path("expression").path(0).asText()).isEqualTo(expression);
        assertThat(reply.outcomeText()).startsWith("Invalid " + expression + ": ");
        assertThat(reply.errorCode()).isEqualTo("webhook.invalid-settings");
    }

    @Test
    void the_example_of_the_issue_is_stored_as_written() {
        String webhook = """
                {"verify":[{"scheme":"stripe","secret":"STRIPE_WEBHOOK_SECRET","toleranceSeconds":300}],
                 "publicUrl":"https://hooks.example.org/webhook/6b1e","allowedIps":["3.18.12.63/32","2600:1f16::/32"],
                 "rateLimit":{"perMinute":600,"burst":100},"maxConcurrency":4}""";
        var created = api.post("/fhir/R4/Bot", bot(webhook));
        assertThat(created.status()).as(created.toString()).isEqualTo(201);
        var read = api.get("/fhir/R4/Bot/" + created.json().get("id").asText()).json();
        assertThat(read.path("webhook").path("verify").path(0).path("secret").asText()).isEqualTo("STRIPE_WEBHOOK_SECRET");
        assertThat(read.path("webhook").path("rateLimit").path("burst").asInt()).isEqualTo(100);
    }

    @Test
    void every_preset_and_its_settings_are_accepted() {
        String webhook = """
                {"verify":[
                  {"scheme":"stripe","secret":"S1"},{"scheme":"github","secret":"S2"},{"scheme":"twilio","secret":"S3"},
                  {"scheme":"slack","secret":"S4","toleranceSeconds":60},{"scheme":"shopify","secret":"S5"},
                  {"scheme":"standard-webhooks","secret":"S6"},{"scheme":"svix","secret":"S7"},
                  {"scheme":"square","secret":"S8"},{"scheme":"zoom","secret":"S9"},{"scheme":"twitch","secret":"S10"}],
                 "maxBodyBytes":0}""";
        assertThat(api.post("/fhir/R4/Bot", bot(webhook)).status()).isEqualTo(201);
        String more = """
                {"verify":[{"scheme":"okta","secret":"O","header":"X-Okta-Token"},{"scheme":"basic","secret":"B"},
                  {"scheme":"microsoft-graph","secret":"G"},
                  {"scheme":"header-token","secret":"T","header":"X-Webhook-Token","idHeader":"X-Delivery"},
                  {"scheme":"hmac","secret":"H","algorithm":"sha512","header":"X-Signature","prefix":"sha512=",
                   "encoding":"base64","template":"{id}.{timestamp}.{body}","timestampHeader":"X-Timestamp",
                   "idHeader":"X-Id","toleranceSeconds":600}],
                 "maxBodyBytes":8388608}""";
        var reply = api.post("/fhir/R4/Bot", bot(more));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
    }

    @Test
    void a_bot_without_the_element_is_fine() {
        assertThat(api.post("/fhir/R4/Bot", "{\"resourceType\":\"Bot\",\"name\":\"plain\"}").status()).isEqualTo(201);
    }

    static Stream<Arguments> bad() {
        return Stream.of(
                arguments("\"stripe\"", "webhook"),
                arguments("[]", "webhook"),
                arguments("{\"verfy\":[]}", "webhook.verfy"),
                arguments("{\"verify\":{\"scheme\":\"stripe\",\"secret\":\"S\"}}", "webhook.verify"),
                arguments("{\"verify\":[\"stripe\"]}", "webhook.verify[0]"),
                arguments("{\"verify\":[{\"scheme\":\"strype\",\"secret\":\"S\"}]}", "webhook.verify[0].scheme"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"S\"},{\"scheme\":7,\"secret\":\"S\"}]}",
                        "webhook.verify[1].scheme"),
                arguments("{\"verify\":[{\"secret\":\"S\"}]}", "webhook.verify[0].scheme"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\"}]}", "webhook.verify[0].secret"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"\"}]}", "webhook.verify[0].secret"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"whsec_abc def\"}]}", "webhook.verify[0].secret"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"S\",\"toleranceSeconds\":-1}]}",
                        "webhook.verify[0].toleranceSeconds"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"S\",\"toleranceSeconds\":\"300\"}]}",
                        "webhook.verify[0].toleranceSeconds"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"S\",\"toleranceSeconds\":1.5}]}",
                        "webhook.verify[0].toleranceSeconds"),
                arguments("{\"verify\":[{\"scheme\":\"github\",\"secret\":\"S\",\"toleranceSeconds\":300}]}",
                        "webhook.verify[0].toleranceSeconds"),
                arguments("{\"verify\":[{\"scheme\":\"stripe\",\"secret\":\"S\",\"header\":\"X\"}]}", "webhook.verify[0].header"),
                arguments("{\"verify\":[{\"scheme\":\"header-token\",\"secret\":\"S\"}]}", "webhook.verify[0].header"),
                arguments("{\"verify\":[{\"scheme\":\"header-token\",\"secret\":\"S\",\"header\":\"X Token\"}]}",
                        "webhook.verify[0].header"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\"}]}", "webhook.verify[0].header"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"algorithm\":\"md5\"}]}",
                        "webhook.verify[0].algorithm"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"encoding\":\"b32\"}]}",
                        "webhook.verify[0].encoding"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"template\":\"{bdy}\"}]}",
                        "webhook.verify[0].template"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"template\":\"{timestamp}.{body}\"}]}",
                        "webhook.verify[0].template"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"template\":\"\"}]}",
                        "webhook.verify[0].template"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"template\":\"{timestamp}\","
                        + "\"timestampHeader\":\"X-Ts\"}]}", "webhook.verify[0].template"),
                arguments("{\"verify\":[{\"scheme\":\"hmac\",\"secret\":\"S\",\"header\":\"X-Sig\",\"toleranceSeconds\":5}]}",
                        "webhook.verify[0].toleranceSeconds"),
                arguments("{\"publicUrl\":\"hooks.example.org/x\"}", "webhook.publicUrl"),
                arguments("{\"publicUrl\":\"https://hooks.example.org/x?a=1\"}", "webhook.publicUrl"),
                arguments("{\"publicUrl\":\"ftp://hooks.example.org/x\"}", "webhook.publicUrl"),
                arguments("{\"publicUrl\":42}", "webhook.publicUrl"),
                arguments("{\"allowedIps\":\"10.0.0.0/8\"}", "webhook.allowedIps"),
                arguments("{\"allowedIps\":[\"10.0.0.0/8\",\"10.0.0.0/33\"]}", "webhook.allowedIps[1]"),
                arguments("{\"allowedIps\":[\"2600:1f16::/129\"]}", "webhook.allowedIps[0]"),
                arguments("{\"allowedIps\":[\"300.1.1.1\"]}", "webhook.allowedIps[0]"),
                arguments("{\"allowedIps\":[\"example.org\"]}", "webhook.allowedIps[0]"),
                arguments("{\"allowedIps\":[17]}", "webhook.allowedIps[0]"),
                arguments("{\"rateLimit\":600}", "webhook.rateLimit"),
                arguments("{\"rateLimit\":{\"burst\":10}}", "webhook.rateLimit.perMinute"),
                arguments("{\"rateLimit\":{\"perMinute\":-5}}", "webhook.rateLimit.perMinute"),
                arguments("{\"rateLimit\":{\"perMinute\":0}}", "webhook.rateLimit.perMinute"),
                arguments("{\"rateLimit\":{\"perMinute\":60,\"burst\":0}}", "webhook.rateLimit.burst"),
                arguments("{\"rateLimit\":{\"perMinute\":60,\"perHour\":1}}", "webhook.rateLimit.perHour"),
                arguments("{\"maxConcurrency\":0}", "webhook.maxConcurrency"),
                arguments("{\"maxConcurrency\":-1}", "webhook.maxConcurrency"),
                arguments("{\"maxConcurrency\":2.5}", "webhook.maxConcurrency"),
                arguments("{\"maxConcurrency\":\"4\"}", "webhook.maxConcurrency"),
                arguments("{\"maxBodyBytes\":-1}", "webhook.maxBodyBytes"),
                arguments("{\"maxBodyBytes\":8388609}", "webhook.maxBodyBytes"),
                arguments("{\"maxBodyBytes\":1e30}", "webhook.maxBodyBytes"));
    }

    @ParameterizedTest
    @MethodSource("bad")
    void a_bad_element_is_refused_on_create_naming_the_field(String webhook, String expression) {
        assertInvalid(api.post("/fhir/R4/Bot", bot(webhook)), expression);
    }

    @Test
    void a_bad_element_is_refused_on_update_conditional_update_and_patch() {
        var created = api.post("/fhir/R4/Bot", bot("{\"maxConcurrency\":4}"));
        String id = created.json().get("id").asText();
        String bad = "{\"resourceType\":\"Bot\",\"id\":\"" + id + "\",\"name\":\"b\",\"webhook\":{\"verify\":[{\"scheme\":"
                + "\"nope\",\"secret\":\"S\"}]}}";
        assertInvalid(api.put("/fhir/R4/Bot/" + id, bad), "webhook.verify[0].scheme");
        assertInvalid(api.put("/fhir/R4/Bot?name=b", bad), "webhook.verify[0].scheme");
        assertInvalid(api.patch("/fhir/R4/Bot/" + id,
                "[{\"op\":\"replace\",\"path\":\"/webhook/maxConcurrency\",\"value\":-3}]"), "webhook.maxConcurrency");
        assertInvalid(api.patch("/fhir/R4/Bot/" + id,
                "[{\"op\":\"add\",\"path\":\"/webhook/allowedIps\",\"value\":[\"10.0.0.0/99\"]}]"), "webhook.allowedIps[0]");
        // nothing was written: the Bot still has its one version
        assertThat(api.get("/fhir/R4/Bot/" + id + "/_history").json().path("entry").size()).isEqualTo(1);
    }

    @Test
    void a_bad_element_is_refused_in_a_transaction_and_in_a_batch() {
        String entry = """
                {"fullUrl":"urn:uuid:0d4b6a4e-5f0c-4c1e-9c42-6f1f3d4c9a01","resource":%s,
                 "request":{"method":"POST","url":"Bot"}}""".formatted(bot("{\"verify\":[{\"scheme\":\"stripe\","
                + "\"secret\":\"S\",\"toleranceSeconds\":-1}]}"));
        var transaction = api.post("/fhir/R4", "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
                + entry + "]}");
        assertThat(transaction.status()).as(transaction.toString()).isEqualTo(400);
        assertThat(transaction.body()).contains("webhook.verify[0].toleranceSeconds");
        var batch = api.post("/fhir/R4", "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[" + entry + "]}");
        assertThat(batch.status()).as(batch.toString()).isEqualTo(200);
        var response = batch.json().path("entry").path(0).path("response");
        assertThat(response.path("status").asText()).isEqualTo("400");
        // a Bundle names the entry as the expression; the text still names the element
        assertThat(response.path("outcome").path("issue").path(0).path("details").path("text").asText())
                .startsWith("Invalid webhook.verify[0].toleranceSeconds: ");
    }
}
