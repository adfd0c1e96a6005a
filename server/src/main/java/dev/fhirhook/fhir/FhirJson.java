package dev.fhirhook.fhir;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.io.CharConversionException;
import java.io.IOException;

/**
 * Strict JSON for FHIR resources: duplicate keys, trailing content, invalid UTF-8 and excessive nesting
 * are rejected; decimals keep their exact digits. Thread-safe.
 */
public final class FhirJson {
    /** Deeper than any real resource (Questionnaire items nest, but not this far). */
    public static final int MAX_DEPTH = 200;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_DEPTH)
                            .maxNumberLength(64)
                            .maxStringLength(64 * 1024 * 1024)
                            .build())
                    .build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private FhirJson() {}

    public static ObjectMapper mapper() { return MAPPER; }

    /** Parses request bytes; any defect is a 400 {@code Content could not be parsed} naming the problem. */
    public static JsonNode parse(byte[] bytes) {
        if (bytes.length == 0) throw ApiException.badRequest("http.empty-body", "Content could not be parsed: the body is empty");
        try {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) {
                throw ApiException.badRequest("http.empty-body", "Content could not be parsed: the body is empty");
            }
            return node;
        } catch (CharConversionException e) {
            throw ApiException.badRequest("http.invalid-utf8", "Content could not be parsed: invalid UTF-8");
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("http.invalid-json", "Content could not be parsed: " + describe(e));
        } catch (IOException e) {
            throw ApiException.badRequest("http.invalid-json", "Content could not be parsed");
        }
    }

    /** Parses JSON this server wrote itself (from the database); failure is a bug, not bad input. */
    public static ObjectNode parseStored(String json) {
        try {
            return (ObjectNode) MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException("stored resource is not valid JSON", e);
        }
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String text(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null) return "malformed JSON";
        if (message.contains("Duplicate field")) {
            message = "duplicate key " + message.substring(message.indexOf('\''), message.lastIndexOf('\'') + 1);
        } else if (message.contains("nesting depth")) {
            message = "JSON nested deeper than " + MAX_DEPTH + " levels";
        } else if (message.contains("Invalid UTF-8")) {
            message = "invalid UTF-8";
        }
        var location = e.getLocation();
        if (message.length() > 200) message = message.substring(0, 200);
        return location == null ? message : message + " (line " + location.getLineNr() + ", column "
                + location.getColumnNr() + ")";
    }

}
