package dev.fhirhook.bot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.bot.runtime.HostBridge;
import dev.fhirhook.bot.runtime.HostCallException;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.InProcessFhir;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.UUID;

/**
 * The {@code medplum} client of one run: each MedplumClient call becomes the same FHIR interaction the REST
 * API would perform, in-process, as the bot's membership ({@code scope}), never as the caller. A failure
 * is an OperationOutcome the bot sees as {@code err.outcome}. Used by one run's thread only.
 */
final class MedplumBridge implements HostBridge {
    /** Runs another bot for {@code medplum.executeBot}; depth-limited by the caller. */
    @FunctionalInterface
    interface BotCalls {
        String execute(JsonNode idOrIdentifier, JsonNode input, String contentType) throws HostCallException;
    }

    private final InProcessFhir fhir;
    private final Scope scope;
    private final InProcessFhir.Origin origin;
    private final BotCalls bots;

    MedplumBridge(InProcessFhir fhir, Scope scope, InProcessFhir.Origin origin, BotCalls bots) {
        this.fhir = fhir;
        this.scope = scope;
        this.origin = origin;
        this.bots = bots;
    }

    @Override
    public String call(String method, String argumentsJson) throws HostCallException {
        JsonNode args;
        try {
            args = FhirJson.mapper().readTree(argumentsJson);
        } catch (JsonProcessingException e) {
            throw failure(ApiException.badRequest("bot.invalid-call", "medplum." + method + ": arguments are not JSON"));
        }
        if (!(args instanceof ArrayNode)) args = FhirJson.mapper().createArrayNode();
        try {
            return switch (method) {
                case "createResource" -> send("POST", type(args.path(0)), resource(args.path(0)), Map.of());
                case "createResourceIfNoneExist" -> send("POST", type(args.path(0)), resource(args.path(0)),
                        Map.of("if-none-exist", query(args.path(1))));
                case "readResource" -> send("GET", type(args.path(0)) + "/" + id(args.path(1)), null, Map.of());
                case "readReference" -> send("GET", reference(args.path(0)), null, Map.of());
                case "updateResource" -> send("PUT", type(args.path(0)) + "/" + id(args.path(0).path("id")),
                        resource(args.path(0)), Map.of());
                case "upsertResource" -> send("PUT", type(args.path(0)) + "?" + query(args.path(1)), resource(args.path(0)), Map.of());
                case "patchResource" -> send("PATCH", type(args.path(0)) + "/" + id(args.path(1)),
                        FhirJson.bytes(args.path(2)), Map.of());
                case "deleteResource" -> send("DELETE", type(args.path(0)) + "/" + id(args.path(1)), null, Map.of());
                case "search", "searchOne", "searchResources" -> send("GET", type(args.path(0)) + "?" + query(args.path(1)),
                        null, Map.of());
                case "createBinary" -> send("POST", "Binary", binary(args.path(0), args.path(2)), Map.of());
                case "createAttachment" -> attachment(args.path(0));
                case "executeBot" -> bots.execute(args.path(0), args.path(1), args.path(2).asText("application/json"));
                default -> throw ApiException.badRequest("bot.unknown-call", "medplum." + method + " is not available to bots");
            };
        } catch (ApiException e) {
            throw failure(e);
        } catch (RuntimeException e) {
            // a database outage or time-out: the bot sees a failed call, the run goes on and can handle it
            throw failure(ApiException.unavailable("bot.call-failed", "medplum." + method + " failed: the server could not complete it"));
        }
    }

    private String send(String method, String url, byte[] body, Map<String, String> headers) {
        var callOrigin = new InProcessFhir.Origin(new RequestIds(UUID.randomUUID().toString(), origin.ids().traceId()),
                origin.clientIp(), origin.baseUrl());
        ApiResponse response = fhir.call(method, url, body == null ? new byte[0] : body, headers, scope, callOrigin);
        return response.body().length == 0 ? "null" : new String(response.body(), StandardCharsets.UTF_8);
    }

    private String attachment(JsonNode options) {
        JsonNode data = options.path("data");
        String contentType = options.path("contentType").asText("application/octet-stream");
        var binary = FhirJson.parse(binary(data, options.path("contentType")));
        var created = FhirJson.parse(send("POST", "Binary", FhirJson.bytes(binary), Map.of()).getBytes(StandardCharsets.UTF_8));
        var attachment = FhirJson.mapper().createObjectNode().put("contentType", contentType)
                .put("url", "Binary/" + created.path("id").asText());
        if (options.path("filename").isTextual()) attachment.put("title", options.get("filename").asText());
        return attachment.toString();
    }

    /** A Binary of the given data: text is stored as its UTF-8 bytes, an array as bytes. */
    private static byte[] binary(JsonNode data, JsonNode contentType) {
        byte[] bytes;
        if (data.isTextual()) {
            bytes = data.asText().getBytes(StandardCharsets.UTF_8);
        } else if (data.isArray()) {
            bytes = new byte[data.size()];
            for (int i = 0; i < bytes.length; i++) bytes[i] = (byte) data.get(i).asInt();
        } else if (data.isObject()) {
            bytes = data.toString().getBytes(StandardCharsets.UTF_8);
        } else {
            throw ApiException.badRequest("bot.invalid-call", "createBinary needs data");
        }
        ObjectNode binary = FhirJson.mapper().createObjectNode().put("resourceType", "Binary")
                .put("contentType", contentType.asText("application/octet-stream"))
                .put("data", Base64.getEncoder().encodeToString(bytes));
        return FhirJson.bytes(binary);
    }

    private static byte[] resource(JsonNode resource) {
        if (!resource.isObject()) throw ApiException.badRequest("bot.invalid-call", "Expected a resource");
        return FhirJson.bytes(resource);
    }

    private static String type(JsonNode typeOrResource) {
        String type = typeOrResource.isObject() ? typeOrResource.path("resourceType").asText("") : typeOrResource.asText("");
        if (!type.matches("[A-Z][A-Za-z]{0,63}")) throw ApiException.badRequest("bot.invalid-call", "Missing or invalid resourceType");
        return type;
    }

    private static String id(JsonNode id) {
        String value = id.asText("");
        if (!ResourceStore.ID.matcher(value).matches()) throw ApiException.badRequest("bot.invalid-call", "Missing or invalid id");
        return value;
    }

    private static String reference(JsonNode reference) {
        String ref = reference.path("reference").asText("");
        String[] parts = ref.split("/");
        if (parts.length != 2) throw ApiException.badRequest("bot.invalid-call", "Invalid reference");
        return type(FhirJson.mapper().getNodeFactory().textNode(parts[0])) + "/" + id(FhirJson.mapper().getNodeFactory().textNode(parts[1]));
    }

    /** A search as MedplumClient takes it: a query string, or an object of names to a value or an array of values. */
    private static String query(JsonNode query) {
        if (query.isTextual()) {
            String q = query.asText();
            return q.startsWith("?") ? q.substring(1) : q;
        }
        if (!query.isObject()) return "";
        var out = new StringBuilder();
        query.properties().forEach(field -> {
            var values = field.getValue().isArray() ? field.getValue() : FhirJson.mapper().createArrayNode().add(field.getValue());
            for (JsonNode value : values) {
                if (value.isNull() || value.isMissingNode()) continue;
                if (!out.isEmpty()) out.append('&');
                out.append(URLEncoder.encode(field.getKey(), StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(value.asText(), StandardCharsets.UTF_8));
            }
        });
        return out.toString();
    }

    private HostCallException failure(ApiException e) {
        return new HostCallException(e.text(), Outcomes.of(e, origin.ids()).toString());
    }
}
