package dev.fhirhook.webhook.signature;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every vector of the shared catalog, read as it is from {@code shared/spec/webhook-vectors.json} (never copied
 * into the repository, so the catalog stays the single source of truth).
 */
class WebhookVectorsTest {

    private static final String RELATIVE = "shared/spec/webhook-vectors.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Maven runs tests in {@code server/}; the catalog sits beside the worktree ({@code ../shared} from the repo
     * root), so look in every ancestor of the working directory. {@code -Dfhirhook.webhookVectors=} overrides.
     */
    static Path vectorsFile() {
        var override = System.getProperty("fhirhook.webhookVectors");
        if (override != null) {
            return Path.of(override);
        }
        var start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        for (var dir = start; dir != null; dir = dir.getParent()) {
            var candidate = dir.resolve(RELATIVE);
            if (Files.isRegularFile(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("webhook-vectors.json not found: looked for " + RELATIVE + " in every "
                + "ancestor of " + start + " (expected ../shared/spec/ beside the repository root); set "
                + "-Dfhirhook.webhookVectors=<path> to point at it");
    }

    static List<JsonNode> vectors() throws IOException {
        var root = JSON.readTree(vectorsFile().toFile());
        return root.valueStream().toList();
    }

    static Stream<Arguments> everyVector() throws IOException {
        return vectors().stream().map(v -> Arguments.of(v.get("id").asText(), v));
    }

    @Test
    void the_catalog_holds_all_73_vectors() throws IOException {
        assertThat(vectors()).hasSize(73);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyVector")
    void vector_verifies_exactly_as_the_catalog_expects(String id, JsonNode vector) throws IOException {
        var provider = vector.get("provider").asText();
        Assumptions.assumeFalse(provider.equals("Microsoft Graph"),
                "Graph signs nothing: its vector is a validationToken handshake reply, answered by the "
                        + "handshake step, not by a signature scheme");
        var scheme = scheme(provider);
        var expected = vector.get("expect").asText();
        assertThat(expected).isIn("valid", "invalid");

        var result = scheme.verify(request(vector), List.of(vector.get("secret").asText()), clock(vector));

        if (expected.equals("valid")) {
            assertThat(result).as(id).isInstanceOf(Verification.Verified.class);
        } else {
            assertThat(result).as(id).isInstanceOf(Verification.Rejected.class);
        }
        var reply = vector.get("expectResponse");
        if (provider.equals("Zoom") && reply != null && !reply.isNull()) {
            // The one handshake reply that is a MAC: its encryptedToken comes from this package.
            var plainToken = JSON.readTree(vector.get("body").asText()).at("/payload/plainToken").asText();
            var replyBody = JSON.readTree(reply.get("body").asText());
            assertThat(Zoom.urlValidationToken(vector.get("secret").asText(), plainToken))
                    .isEqualTo(replyBody.get("encryptedToken").asText());
            assertThat(replyBody.get("plainToken").asText()).isEqualTo(plainToken);
        }
    }

    static SignatureScheme scheme(String provider) {
        return switch (provider) {
            case "Stripe" -> new Stripe();
            case "GitHub" -> new GitHub();
            case "Twilio" -> new Twilio();
            case "Slack" -> new Slack();
            case "Shopify" -> new Shopify();
            case "Standard Webhooks", "Svix" -> new StandardWebhooks();
            case "Square" -> new Square();
            case "Zoom" -> new Zoom();
            case "Twitch" -> new Twitch();
            case "Okta" -> new Okta();
            default -> throw new IllegalArgumentException("no scheme for provider " + provider);
        };
    }

    static SignedRequest request(JsonNode vector) {
        var headers = new LinkedHashMap<String, String>();
        vector.get("headers").properties().forEach(e -> headers.put(e.getKey(), e.getValue().asText()));
        var url = vector.get("url");
        return SignedRequest.of(vector.get("method").asText(), url == null || url.isNull() ? "" : url.asText(),
                headers, vector.get("body").asText().getBytes(StandardCharsets.UTF_8));
    }

    /** The clock the vector implies: fixed at its timestamp, as verify_vectors.py does. */
    static Clock clock(JsonNode vector) {
        var timestamp = vector.get("timestamp");
        var instant = timestamp == null || timestamp.isNull()
                ? Instant.parse("2025-01-01T00:00:00Z")
                : Instant.ofEpochSecond(timestamp.asLong());
        return Clock.fixed(instant, ZoneOffset.UTC);
    }
}
