package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.bot.runtime.ReturnValue;
import dev.fhirhook.fhir.FhirJson;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * Turns what a handler returned into the HTTP reply, by Medplum's rules (medplum-compat §5.4): undefined →
 * OperationOutcome {@code allOk}; an OperationOutcome → the status its {@code id} maps to; a Binary → its
 * bytes with its content type; another resource → FHIR JSON with ETag/Last-Modified; a string (or a number,
 * as its decimal text) → raw; other values → JSON. Pure.
 */
final class BotReply {
    /** OperationOutcome ids and the statuses they stand for (medplum-compat §1). */
    static final Map<String, Integer> STATUS_BY_OUTCOME_ID = Map.ofEntries(
            Map.entry("ok", 200), Map.entry("created", 201), Map.entry("accepted", 202),
            Map.entry("not-modified", 304), Map.entry("unauthorized", 401), Map.entry("forbidden", 403),
            Map.entry("not-found", 404), Map.entry("gone", 410), Map.entry("precondition-failed", 412),
            Map.entry("multiple-matches", 412), Map.entry("content-too-large", 413),
            Map.entry("unsupported-media-type", 415), Map.entry("business-rule", 422),
            Map.entry("too-many-requests", 429), Map.entry("server-timeout", 504));

    private BotReply() {}

    /**
     * @param requestMediaType the request's media type without parameters; text and HL7 requests get their
     *     own type back for raw replies, everything else {@code application/json}
     * @param storedBinary reads a Binary the bot returned without {@code data} (by id), if it exists
     */
    static ApiResponse of(ReturnValue value, String requestMediaType, java.util.function.Function<String, Optional<JsonNode>> storedBinary) {
        return switch (value) {
            case ReturnValue.Undefined u -> null; // the caller answers allOk with its request ids
            case ReturnValue.Text text -> raw(text.text(), requestMediaType);
            case ReturnValue.Number number -> raw(number.decimal(), requestMediaType);
            case ReturnValue.Json json -> json(json.json(), requestMediaType, storedBinary);
        };
    }

    /** The status of an OperationOutcome as Medplum reads it: its id, else 500 for {@code exception}, else 400. */
    static int outcomeStatus(JsonNode outcome) {
        Integer byId = STATUS_BY_OUTCOME_ID.get(outcome.path("id").asText(""));
        if (byId != null) return byId;
        return "exception".equals(outcome.path("issue").path(0).path("code").asText("")) ? 500 : 400;
    }

    private static ApiResponse json(JsonNode value, String requestMediaType,
            java.util.function.Function<String, Optional<JsonNode>> storedBinary) {
        String resourceType = value.isObject() ? value.path("resourceType").asText("") : "";
        if (resourceType.equals("OperationOutcome")) {
            return ApiResponse.json(outcomeStatus(value), ApiResponse.FHIR_JSON, FhirJson.bytes(value));
        }
        if (resourceType.equals("Binary")) return binary(value, storedBinary);
        if (!resourceType.isEmpty()) {
            var response = ApiResponse.json(200, ApiResponse.FHIR_JSON, FhirJson.bytes(value));
            JsonNode meta = value.path("meta");
            if (meta.path("versionId").isTextual()) response.withHeader("ETag", "W/\"" + meta.get("versionId").asText() + "\"");
            if (meta.path("lastUpdated").isTextual()) {
                try {
                    response.withHeader("Last-Modified",
                            dev.fhirhook.fhir.ResourceApi.httpDate(java.time.Instant.parse(meta.get("lastUpdated").asText())));
                } catch (java.time.DateTimeException ignored) {
                    // a bot-made meta.lastUpdated that is not an instant: no header rather than a failed reply
                }
            }
            return response;
        }
        return ApiResponse.json(200, contentType(requestMediaType), FhirJson.bytes(value));
    }

    private static ApiResponse binary(JsonNode binary, java.util.function.Function<String, Optional<JsonNode>> storedBinary) {
        JsonNode source = binary;
        if (!binary.path("data").isTextual() && binary.path("id").isTextual()) {
            source = storedBinary.apply(binary.get("id").asText()).orElse(binary);
        }
        String contentType = source.path("contentType").asText(binary.path("contentType").asText("application/octet-stream"));
        byte[] bytes;
        try {
            bytes = Base64.getMimeDecoder().decode(source.path("data").asText(""));
        } catch (IllegalArgumentException e) {
            throw dev.fhirhook.api.ApiException.badRequest("bot.invalid-binary", "Invalid base64 data");
        }
        return ApiResponse.json(200, contentType, bytes);
    }

    private static ApiResponse raw(String text, String requestMediaType) {
        return ApiResponse.json(200, contentType(requestMediaType), text.getBytes(StandardCharsets.UTF_8));
    }

    private static String contentType(String requestMediaType) {
        if (requestMediaType.equals("text/plain") || requestMediaType.equals(BotInput.HL7)) {
            return requestMediaType + "; charset=utf-8";
        }
        return ApiResponse.JSON;
    }
}
