package dev.fhirhook.webhook;

import static dev.fhirhook.webhook.Hooks.hex;
import static dev.fhirhook.webhook.Hooks.hmac;
import static dev.fhirhook.webhook.Hooks.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.ManualClock;
import dev.fhirhook.testing.TestServer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The handshakes the server answers itself (webhook-providers.md §3), each with its exact reply, only when the
 * Bot configures that preset, only once the provider's signature (where it signs one) verified, and each audited.
 * A second server on the same database runs on a manual clock set to the time of the Twitch vector.
 */
class HandshakeTest {
    private static final Instant TWITCH_VECTOR_TIME = Instant.parse("2019-11-16T10:11:12Z");
    private static final ManualClock CLOCK = new ManualClock(TWITCH_VECTOR_TIME);
    private static Fhirhook server;

    @BeforeAll
    static void start() {
        var shared = TestServer.get().server().database();
        server = Fhirhook.start(TestServer.config(TestServer.tempDir("fhirhook-handshake-"), Map.of(
                "database-url", shared.jdbcUrl(), "database-user", "postgres")), CLOCK);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static Hooks.Hook hook(String verify, Map<String, String> secrets) {
        return Hooks.create(server.baseUrl(), TestServer.get().newProject(), "{\"verify\":" + verify + "}", secrets, true);
    }

    private static long now() {
        return CLOCK.instant().getEpochSecond();
    }

    private static void assertReply(Api.Reply reply, int status, String mediaType, String body) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).startsWith(mediaType);
        assertThat(reply.body()).isEqualTo(body);
    }

    private static void assertUnauthorized(Api.Reply reply, String code) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(401);
        assertThat(reply.errorCode()).isEqualTo(code);
    }

    private static void assertAudited(Hooks.Hook hook, String detail) {
        var found = Hooks.awaitSearch(hook.project().api(), "AuditEvent?subtype=handshake");
        assertThat(found.path("entry")).isNotEmpty();
        var event = found.path("entry").path(0).path("resource");
        assertThat(event.path("meta").path("project").asText()).isEqualTo(hook.project().projectId());
        assertThat(event.path("outcome").asText()).isEqualTo("0");
        assertThat(event.path("type").path("code").asText()).isEqualTo("webhook");
        assertThat(event.path("outcomeDesc").asText()).isEqualTo(detail);
        assertThat(event.path("source").path("observer").path("reference").asText()).isEqualTo("Bot/" + hook.botId());
    }

    // --- Okta ---------------------------------------------------------------------------------------------

    @Test
    void okta_one_time_get_challenge_is_answered_with_the_verification_json() {
        var hook = hook("[{\"scheme\":\"okta\",\"secret\":\"OKTA\"}]", Map.of("OKTA", "okta-shared-secret"));
        var reply = hook.send("GET", hook.path(), null, null, Map.of("X-Okta-Verification-Challenge", "abc",
                "Authorization", "okta-shared-secret"));
        assertReply(reply, 200, "application/json", "{\"verification\":\"abc\"}");
        assertAudited(hook, "Okta verification challenge answered");
    }

    @Test
    void okta_challenge_values_are_json_escaped() {
        var hook = hook("[{\"scheme\":\"okta\",\"secret\":\"OKTA\"}]", Map.of("OKTA", "okta-shared-secret"));
        var reply = hook.send("GET", hook.path(), null, null, Map.of("X-Okta-Verification-Challenge", "a\"b\\c",
                "Authorization", "okta-shared-secret"));
        assertReply(reply, 200, "application/json", "{\"verification\":\"a\\\"b\\\\c\"}");
    }

    @Test
    void okta_challenge_without_the_shared_header_is_401() {
        var hook = hook("[{\"scheme\":\"okta\",\"secret\":\"OKTA\"}]", Map.of("OKTA", "okta-shared-secret"));
        assertUnauthorized(hook.send("GET", hook.path(), null, null, Map.of("X-Okta-Verification-Challenge", "abc")),
                "webhook.signature-missing");
        assertUnauthorized(hook.send("GET", hook.path(), null, null, Map.of("X-Okta-Verification-Challenge", "abc",
                "Authorization", "guess")), "webhook.signature-mismatch");
    }

    @Test
    void okta_challenge_is_not_answered_for_a_bot_without_the_okta_preset() {
        var hook = hook("[{\"scheme\":\"github\",\"secret\":\"GH\"}]", Map.of("GH", "gh-secret"));
        assertUnauthorized(hook.send("GET", hook.path(), null, null, Map.of("X-Okta-Verification-Challenge", "abc")),
                "webhook.signature-missing");
    }

    @Test
    void okta_with_a_custom_header() {
        var hook = hook("[{\"scheme\":\"okta\",\"secret\":\"OKTA\",\"header\":\"X-Okta-Token\"}]",
                Map.of("OKTA", "okta-shared-secret"));
        var reply = hook.send("GET", hook.path(), null, null, Map.of("X-Okta-Verification-Challenge", "xyz",
                "X-Okta-Token", "okta-shared-secret"));
        assertReply(reply, 200, "application/json", "{\"verification\":\"xyz\"}");
    }

    // --- Slack --------------------------------------------------------------------------------------------

    private static Map<String, String> slack(String secret, long t, String body) {
        return Map.of("X-Slack-Request-Timestamp", Long.toString(t),
                "X-Slack-Signature", "v0=" + hex(hmac("HmacSHA256", utf8(secret), utf8("v0:" + t + ":" + body))));
    }

    @Test
    void slack_url_verification_is_answered_with_the_challenge_as_text() {
        var hook = hook("[{\"scheme\":\"slack\",\"secret\":\"SLACK\"}]", Map.of("SLACK", "8f742231b10e8888abcd99yyyzzz85a5"));
        String body = "{\"token\":\"Jhj5dZrVaK7ZwHHjRyZWjbDl\",\"challenge\":\"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P\","
                + "\"type\":\"url_verification\"}";
        var reply = hook.post(body, slack("8f742231b10e8888abcd99yyyzzz85a5", now(), body));
        assertReply(reply, 200, "text/plain", "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P");
        assertAudited(hook, "Slack url_verification answered");
    }

    @Test
    void slack_url_verification_must_itself_be_signed() {
        var hook = hook("[{\"scheme\":\"slack\",\"secret\":\"SLACK\"}]", Map.of("SLACK", "slack-secret"));
        String body = "{\"token\":\"t\",\"challenge\":\"c\",\"type\":\"url_verification\"}";
        assertUnauthorized(hook.post(body, Map.of()), "webhook.signature-missing");
        assertUnauthorized(hook.post(body, slack("another-secret", now(), body)), "webhook.signature-mismatch");
        assertUnauthorized(hook.post(body, slack("slack-secret", now() - 301, body)),
                "webhook.timestamp-out-of-tolerance");
    }

    // --- Zoom ---------------------------------------------------------------------------------------------

    private static Map<String, String> zoom(String secret, long t, String body) {
        return Map.of("x-zm-request-timestamp", Long.toString(t),
                "x-zm-signature", "v0=" + hex(hmac("HmacSHA256", utf8(secret), utf8("v0:" + t + ":" + body))));
    }

    private static final String ZOOM_VALIDATION =
            "{\"event\":\"endpoint.url_validation\",\"payload\":{\"plainToken\":\"qgg8vlvZRS6UYooatFL8Aw\"},"
                    + "\"event_ts\":1654503849680}";
    private static final String ZOOM_REPLY = "{\"plainToken\":\"qgg8vlvZRS6UYooatFL8Aw\","
            + "\"encryptedToken\":\"70c1f2e2e6ca2d39297490d1f9142c7d701415ea8e6151f6562a08fa657a40ff\"}";

    @Test
    void zoom_url_validation_is_answered_with_the_vector_reply() {
        var hook = hook("[{\"scheme\":\"zoom\",\"secret\":\"ZOOM\"}]", Map.of("ZOOM", "secretValueTest"));
        var reply = hook.post(ZOOM_VALIDATION, zoom("secretValueTest", now(), ZOOM_VALIDATION));
        assertReply(reply, 200, "application/json", ZOOM_REPLY);
        assertAudited(hook, "Zoom endpoint.url_validation answered");
    }

    @Test
    void zoom_url_validation_during_rotation_answers_with_the_secret_that_verified() {
        var hook = hook("[{\"scheme\":\"zoom\",\"secret\":\"ZOOM_NEW\"},{\"scheme\":\"zoom\",\"secret\":\"ZOOM_OLD\"}]",
                Map.of("ZOOM_NEW", "a-new-secret-token", "ZOOM_OLD", "secretValueTest"));
        var reply = hook.post(ZOOM_VALIDATION, zoom("secretValueTest", now(), ZOOM_VALIDATION));
        assertReply(reply, 200, "application/json", ZOOM_REPLY);
    }

    @Test
    void zoom_url_validation_must_itself_be_signed() {
        var hook = hook("[{\"scheme\":\"zoom\",\"secret\":\"ZOOM\"}]", Map.of("ZOOM", "secretValueTest"));
        assertUnauthorized(hook.post(ZOOM_VALIDATION, Map.of()), "webhook.signature-missing");
        assertUnauthorized(hook.post(ZOOM_VALIDATION, zoom("guess", now(), ZOOM_VALIDATION)),
                "webhook.signature-mismatch");
    }

    // --- Twitch -------------------------------------------------------------------------------------------

    private static Map<String, String> twitch(String type, String signature) {
        return Map.of("Twitch-Eventsub-Message-Id", "e76c6bd4-55c9-4987-8304-da1588d8988b",
                "Twitch-Eventsub-Message-Timestamp", "2019-11-16T10:11:12.634234626Z",
                "Twitch-Eventsub-Message-Signature", signature, "Twitch-Eventsub-Message-Type", type);
    }

    @Test
    void twitch_callback_verification_vector_is_answered_with_the_raw_challenge() {
        var hook = hook("[{\"scheme\":\"twitch\",\"secret\":\"TWITCH\"}]", Map.of("TWITCH", "abcdefghij0123456789"));
        var reply = hook.post("{\"challenge\":\"abc\"}", twitch("webhook_callback_verification",
                "sha256=221ade26023be713a95ff8dfa3fb00c11efbc9dbbb85ef99a5618ec6bc9c5d63"));
        assertReply(reply, 200, "text/plain", "abc");
        assertAudited(hook, "Twitch webhook_callback_verification answered");
    }

    @Test
    void twitch_callback_verification_must_itself_be_signed() {
        var hook = hook("[{\"scheme\":\"twitch\",\"secret\":\"TWITCH\"}]", Map.of("TWITCH", "abcdefghij0123456789"));
        assertUnauthorized(hook.post("{\"challenge\":\"abd\"}", twitch("webhook_callback_verification",
                "sha256=221ade26023be713a95ff8dfa3fb00c11efbc9dbbb85ef99a5618ec6bc9c5d63")), "webhook.signature-mismatch");
    }

    @Test
    void twitch_revocation_is_acknowledged_with_2xx_once_verified() {
        var hook = hook("[{\"scheme\":\"twitch\",\"secret\":\"TWITCH\"}]", Map.of("TWITCH", "abcdefghij0123456789"));
        String body = "{\"subscription\":{\"id\":\"f1c2a387\",\"status\":\"authorization_revoked\"}}";
        String signature = "sha256=" + hex(hmac("HmacSHA256", utf8("abcdefghij0123456789"),
                utf8("e76c6bd4-55c9-4987-8304-da1588d8988b2019-11-16T10:11:12.634234626Z" + body)));
        var reply = hook.post(body, twitch("revocation", signature));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(204);
        assertThat(reply.bytes()).isEmpty();
        assertUnauthorized(hook.post(body, twitch("revocation", "sha256=" + "0".repeat(64))),
                "webhook.signature-mismatch");
    }

    // --- Microsoft Graph ----------------------------------------------------------------------------------

    @Test
    void graph_validation_token_is_answered_url_decoded_as_text() {
        var hook = hook("[{\"scheme\":\"microsoft-graph\",\"secret\":\"GRAPH\"}]", Map.of("GRAPH", "client-state-1"));
        var reply = hook.send("POST", hook.path() + "?validationToken=Validation%3A%20Testing", "text/plain",
                new byte[0], Map.of());
        assertReply(reply, 200, "text/plain", "Validation: Testing");
        assertAudited(hook, "Microsoft Graph validationToken answered");
    }

    @Test
    void graph_validation_token_is_not_answered_for_a_bot_without_the_graph_preset() {
        var hook = hook("[{\"scheme\":\"github\",\"secret\":\"GH\"}]", Map.of("GH", "gh-secret"));
        var reply = hook.send("POST", hook.path() + "?validationToken=Validation%3A%20Testing", "text/plain",
                new byte[0], Map.of());
        assertUnauthorized(reply, "webhook.signature-missing");
    }

    @Test
    void graph_notifications_need_the_client_state() {
        var hook = hook("[{\"scheme\":\"microsoft-graph\",\"secret\":\"GRAPH\"}]", Map.of("GRAPH", "client-state-1"));
        assertUnauthorized(hook.post("{\"value\":[{\"subscriptionId\":\"s\",\"clientState\":\"guess\"}]}", Map.of()),
                "webhook.signature-mismatch");
        assertUnauthorized(hook.post("{\"value\":[{\"subscriptionId\":\"s\"}]}", Map.of()), "webhook.signature-missing");
    }
}
