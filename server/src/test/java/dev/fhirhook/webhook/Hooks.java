package dev.fhirhook.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Builders for webhook tests: a project with an AccessPolicy, a Bot with {@code publicWebhook} and a {@code webhook}
 * element, its ProjectMembership and project secrets, all written over FHIR; requests to its public URL; and an
 * independent signer (plain javax.crypto, not the production code).
 */
final class Hooks {
    private Hooks() {}

    /** A bot reachable at {@code /webhook/{membershipId}}. */
    record Hook(TestProject project, String botId, String membershipId, String policyId, String baseUrl) {
        String path() {
            return "/webhook/" + membershipId;
        }

        Api anonymous() {
            return new Api(baseUrl, null, null);
        }

        Api.Reply post(String contentType, byte[] body, Map<String, String> headers) {
            return send("POST", path(), contentType, body, headers);
        }

        Api.Reply post(String json, Map<String, String> headers) {
            return post("application/json", json.getBytes(StandardCharsets.UTF_8), headers);
        }

        Api.Reply send(String method, String path, String contentType, byte[] body, Map<String, String> headers) {
            var api = anonymous();
            var request = api.request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(body));
            if (contentType != null) request.header("Content-Type", contentType);
            headers.forEach(request::header);
            return api.send(request);
        }

        /** Deploys {@code code} as the bot's {@code index.js}; returns this hook. */
        Hook deploy(String code) {
            var body = JsonNodeFactory.instance.objectNode().put("code", code)
                    .put("filename", "index.js");
            var reply = project.api().raw("POST", "/fhir/R4/Bot/" + botId + "/$deploy", "application/json",
                    body.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            return this;
        }

        /** The super admin, who wrote the bot, its policy and its membership. */
        Api admin() {
            return TestServer.get().admin();
        }
    }

    /** A bot in a new project of the shared test server. */
    static Hook create(String webhookJson, Map<String, String> secrets) {
        return create(TestServer.get().baseUrl(), TestServer.get().newProject(), webhookJson, secrets, true);
    }

    /**
     * @param webhookJson the Bot's {@code webhook} element, or null for none
     * @param publicWebhook the Bot's {@code publicWebhook}
     * @param baseUrl the server requests go to (another server on the same database may be used)
     */
    static Hook create(String baseUrl, TestProject project, String webhookJson, Map<String, String> secrets,
            boolean publicWebhook) {
        // written by the super admin, as a project admin would: memberships are an admin type
        var api = TestServer.get().admin();
        String meta = "\"meta\":{\"project\":\"" + project.projectId() + "\"},";
        setSecrets(project, secrets);
        var policy = api.post("/fhir/R4/AccessPolicy", """
                {"resourceType":"AccessPolicy",%s"name":"webhook bot","resource":[{"resourceType":"Invoice"}]}"""
                .formatted(meta));
        assertThat(policy.status()).as(policy.toString()).isEqualTo(201);
        var bot = api.post("/fhir/R4/Bot", """
                {"resourceType":"Bot",%s"name":"hook","publicWebhook":%s%s}""".formatted(meta, publicWebhook,
                webhookJson == null ? "" : ",\"webhook\":" + webhookJson));
        assertThat(bot.status()).as(bot.toString()).isEqualTo(201);
        String botId = bot.json().get("id").asText();
        String policyId = policy.json().get("id").asText();
        var membership = api.post("/fhir/R4/ProjectMembership", """
                {"resourceType":"ProjectMembership",%s"project":{"reference":"Project/%s"},
                 "user":{"reference":"Bot/%s"},"profile":{"reference":"Bot/%s"},
                 "accessPolicy":{"reference":"AccessPolicy/%s"}}""".formatted(meta, project.projectId(), botId, botId,
                policyId));
        assertThat(membership.status()).as(membership.toString()).isEqualTo(201);
        return new Hook(project, botId, membership.json().get("id").asText(), policyId, baseUrl);
    }

    static void setSecrets(TestProject project, Map<String, String> secrets) {
        var values = new StringBuilder("[");
        secrets.forEach((name, value) -> values.append(values.length() > 1 ? "," : "")
                .append("{\"name\":\"").append(name).append("\",\"valueString\":\"").append(value).append("\"}"));
        values.append("]");
        var reply = TestServer.get().admin().patch("/fhir/R4/Project/" + project.projectId(),
                "[{\"op\":\"add\",\"path\":\"/secret\",\"value\":" + values + "}]");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    // --- signing ------------------------------------------------------------------------------------

    static final String STRIPE_SECRET = "whsec_test_secret_for_fhirhook";

    static byte[] hmac(String algorithm, byte[] key, byte[]... parts) {
        try {
            var mac = Mac.getInstance(algorithm);
            mac.init(new SecretKeySpec(key, algorithm));
            for (var part : parts) mac.update(part);
            return mac.doFinal();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    static String b64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** {@code Stripe-Signature} for {@code body} at {@code t}. */
    static String stripeSignature(String secret, long t, byte[] body) {
        return "t=" + t + ",v1=" + hex(hmac("HmacSHA256", utf8(secret), utf8(t + "."), body));
    }

    static Map<String, String> stripe(String secret, byte[] body) {
        return Map.of("Stripe-Signature", stripeSignature(secret, Instant.now().getEpochSecond(), body));
    }

    /** A Stripe {@code invoice.paid} event. */
    static String invoicePaid(String eventId, String invoiceId) {
        return """
                {"id":"%s","object":"event","type":"invoice.paid","data":{"object":{"id":"%s","object":"invoice",\
                "amount_paid":4200,"currency":"usd","status":"paid","customer":"cus_1"}}}""".formatted(eventId, invoiceId);
    }

    static Map<String, String> headers(String... nameValues) {
        var out = new LinkedHashMap<String, String>();
        for (int i = 0; i < nameValues.length; i += 2) out.put(nameValues[i], nameValues[i + 1]);
        return out;
    }

    /** Polls a search until it finds something (the refusal audit is written asynchronously). */
    static JsonNode awaitSearch(Api api, String query) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            var reply = api.get("/fhir/R4/" + query);
            assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
            if (reply.json().path("entry").size() > 0 || System.nanoTime() > deadline) return reply.json();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** The OperationOutcome checks every refusal shares. */
    static void assertOutcome(Api.Reply reply, int status, String id, String text) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).startsWith("application/fhir+json");
        var outcome = reply.json();
        assertThat(outcome.path("resourceType").asText()).isEqualTo("OperationOutcome");
        if (id == null) assertThat(outcome.has("id")).isFalse();
        else assertThat(outcome.path("id").asText()).isEqualTo(id);
        assertThat(reply.outcomeText()).isEqualTo(text);
        assertThat(outcome.path("extension").path(0).path("url").asText())
                .isEqualTo("https://medplum.com/fhir/StructureDefinition/tracing");
    }
}
