package dev.fhirhook.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.webhook.signature.MicrosoftGraph;
import dev.fhirhook.webhook.signature.Okta;
import dev.fhirhook.webhook.signature.SignatureScheme;
import dev.fhirhook.webhook.signature.Slack;
import dev.fhirhook.webhook.signature.Twitch;
import dev.fhirhook.webhook.signature.Zoom;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Optional;

/**
 * The provider handshakes the server answers itself, with the exact replies of webhook-providers.md §3, and only
 * for a preset the Bot configures. Pure.
 *
 * <ul>
 *   <li>{@link #unsigned}: Microsoft Graph's {@code ?validationToken=}, which Graph does not sign; answered before
 *       any signature check;</li>
 *   <li>{@link #signed}: Okta's GET challenge (its shared header was checked), Slack {@code url_verification}, Zoom
 *       {@code endpoint.url_validation}, Twitch {@code webhook_callback_verification} and {@code revocation};
 *       answered only for the scheme that has just verified the request, so a forged handshake gets 401.</li>
 * </ul>
 * The body is parsed only when a cheap look at it (or a header) says it may be a handshake.
 */
final class Handshakes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] SLACK_MARK = "url_verification".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ZOOM_MARK = "endpoint.url_validation".getBytes(StandardCharsets.US_ASCII);

    /** A reply the server sends in the bot's place, and a fixed description of it for the audit trail. */
    record Answer(ApiResponse response, String detail) {}

    private Handshakes() {}

    static Optional<Answer> unsigned(ApiRequest request, WebhookSettings settings) {
        if (!settings.has(MicrosoftGraph.class)) return Optional.empty();
        return request.queryParam("validationToken")
                .map(token -> new Answer(text(token), "Microsoft Graph validationToken answered"));
    }

    /**
     * @param scheme the scheme that verified the request
     * @param secret the secret it verified with (Zoom's reply is an HMAC under it)
     */
    static Optional<Answer> signed(ApiRequest request, byte[] body, SignatureScheme scheme, String secret) {
        return switch (scheme) {
            case Okta okta -> request.method().equals("GET")
                    ? request.header("x-okta-verification-challenge").map(challenge -> {
                        var reply = JsonNodeFactory.instance.objectNode().put("verification", challenge);
                        return new Answer(json(reply.toString()), "Okta verification challenge answered");
                    })
                    : Optional.empty();
            case Slack slack -> contains(body, SLACK_MARK) ? parse(body)
                    .filter(b -> b.path("type").asText("").equals("url_verification") && b.path("challenge").isTextual())
                    .map(b -> new Answer(text(b.get("challenge").asText()), "Slack url_verification answered"))
                    : Optional.empty();
            case Zoom zoom -> contains(body, ZOOM_MARK) ? parse(body)
                    .filter(b -> b.path("event").asText("").equals("endpoint.url_validation")
                            && b.path("payload").path("plainToken").isTextual())
                    .map(b -> {
                        String plain = b.get("payload").get("plainToken").asText();
                        var reply = JsonNodeFactory.instance.objectNode().put("plainToken", plain)
                                .put("encryptedToken", Zoom.urlValidationToken(secret, plain));
                        return new Answer(json(reply.toString()), "Zoom endpoint.url_validation answered");
                    })
                    : Optional.empty();
            case Twitch twitch -> switch (request.header("twitch-eventsub-message-type").orElse("")
                    .toLowerCase(Locale.ROOT)) {
                case "webhook_callback_verification" -> parse(body).filter(b -> b.path("challenge").isTextual())
                        .map(b -> new Answer(text(b.get("challenge").asText()),
                                "Twitch webhook_callback_verification answered"));
                case "revocation" -> Optional.of(new Answer(ApiResponse.empty(204), "Twitch revocation acknowledged"));
                default -> Optional.empty();
            };
            default -> Optional.empty();
        };
    }

    private static Optional<JsonNode> parse(byte[] body) {
        try {
            return Optional.of(JSON.readTree(body)).filter(JsonNode::isObject);
        } catch (java.io.IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static ApiResponse text(String value) {
        return ApiResponse.text(200, value);
    }

    private static ApiResponse json(String value) {
        return new ApiResponse(200, ApiResponse.JSON, new LinkedHashMap<>(), value.getBytes(StandardCharsets.UTF_8));
    }

    /** Whether {@code mark} occurs in {@code body}; a plain scan, far cheaper than parsing every event. */
    static boolean contains(byte[] body, byte[] mark) {
        outer:
        for (int i = 0; i <= body.length - mark.length; i++) {
            for (int j = 0; j < mark.length; j++) {
                if (body[i + j] != mark[j]) continue outer;
            }
            return true;
        }
        return false;
    }
}
