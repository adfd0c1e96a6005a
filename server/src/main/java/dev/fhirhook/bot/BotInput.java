package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.fhir.FhirJson;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a bot receives as {@code event.input} and {@code event.rawBody} for a request (medplum-compat §3, §5.3):
 * JSON and {@code application/*+json} parsed; text, HL7 v2 and XML as text; forms as a flat map (a repeated
 * key gives an array); GET as the query map; anything else as its text, or base64 when it is not valid UTF-8 —
 * a payload is never dropped. Media types are compared without their parameters. Pure.
 *
 * @param input the value for {@code event.input}; null when {@code inputIsRawBody}
 * @param rawBody the body as received, as text (null for GET)
 * @param rawBodyBase64 whether {@code rawBody} (and a text {@code input}) are base64, because the bytes are not text
 * @param inputIsRawBody whether {@code event.input} is {@code rawBody} parsed as JSON, checked here to parse, and
 *     JavaScript's {@code JSON.parse} gives the same from {@code rawBody}: the sandbox parses it there, so it is not
 *     built here
 */
record BotInput(JsonNode input, String rawBody, boolean rawBodyBase64, boolean inputIsRawBody) {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final String HL7 = "x-application/hl7-v2+er7";

    static BotInput of(ApiRequest request) {
        if (request.method().equals("GET") || request.method().equals("HEAD")) {
            return new BotInput(map(request.query()), null, false, false);
        }
        byte[] body = request.body();
        String type = request.mediaType();
        if (type.equals("application/json") || (type.startsWith("application/") && type.endsWith("+json"))) {
            if (!utf8(request)) throw ApiException.unsupportedMediaType();
            String text = decode(body, StandardCharsets.UTF_8);
            if (text == null) throw unparsable();
            if (text.isBlank()) return new BotInput(NODES.objectNode(), text, false, false);
            try {
                // Jackson skips a byte order mark that JSON.parse refuses: such a body keeps Jackson's reading.
                // Any other the sandbox parses from rawBody, so here it is only checked, not built.
                if (text.startsWith("\uFEFF")) {
                    JsonNode parsed = FhirJson.parse(body);
                    if (!parsed.isContainerNode()) throw unparsable();
                    return new BotInput(parsed, text, false, false);
                }
                if (!FhirJson.check(body).isStructStart()) throw unparsable();
                return new BotInput(null, text, false, true);
            } catch (ApiException e) {
                throw unparsable();
            }
        }
        if (type.equals("application/x-www-form-urlencoded")) {
            String text = decode(body, StandardCharsets.UTF_8);
            if (text == null) throw unparsable();
            try {
                return new BotInput(map(QueryString.parse(text)), text, false, false);
            } catch (ApiException e) {
                throw unparsable(); // a body, not the request's query string: bad percent-encoding, too many fields
            }
        }
        String text = decode(body, charset(request));
        if (text != null) return new BotInput(NODES.textNode(text), text, false, false);
        String base64 = Base64.getEncoder().encodeToString(body);
        return new BotInput(NODES.textNode(base64), base64, true, false);
    }

    private static ObjectNode map(Map<String, List<String>> params) {
        var map = NODES.objectNode();
        params.forEach((name, values) -> {
            if (values.size() == 1) {
                map.put(name, values.getFirst());
            } else {
                var array = map.putArray(name);
                values.forEach(array::add);
            }
        });
        return map;
    }

    private static boolean utf8(ApiRequest request) {
        Charset charset = charset(request);
        return charset.equals(StandardCharsets.UTF_8);
    }

    /** The declared charset when the JVM knows it, else UTF-8. */
    private static Charset charset(ApiRequest request) {
        for (String part : request.header("content-type").orElse("").split(";")) {
            String p = part.strip().toLowerCase(Locale.ROOT);
            if (!p.startsWith("charset=")) continue;
            String name = p.substring("charset=".length()).replace("\"", "");
            try {
                return Charset.forName(name);
            } catch (IllegalArgumentException unknown) {
                return StandardCharsets.UTF_8;
            }
        }
        return StandardCharsets.UTF_8;
    }

    /** Strict decoding: null when the bytes are not text in that charset (so they are passed on as base64). */
    private static String decode(byte[] body, Charset charset) {
        try {
            return charset.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static ApiException unparsable() {
        return ApiException.badRequest("bot.unparsable-body", "Content could not be parsed");
    }
}
