package dev.fhirhook.fhir;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.JsonGeneratorDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.io.CharConversionException;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * Strict JSON for FHIR resources: duplicate keys, trailing content, invalid UTF-8 and excessive nesting
 * are rejected; decimals keep their exact digits and precision (see {@link #decimalText}). Thread-safe.
 */
public final class FhirJson {
    /** Deeper than any real resource (Questionnaire items nest, but not this far). */
    public static final int MAX_DEPTH = 200;
    /**
     * Most digits a number may have (sign, point and exponent marker not counted, as the parser counts them):
     * in a request, and in the text this server writes for it, so that whatever it stores reads back.
     */
    static final int MAX_NUMBER_DIGITS = 64;
    /**
     * Stored JSON is read with more room for numbers than requests get: versions before exponent-form writing
     * stored every decimal plain, up to ~1,065 digits (64 digits, scale up to 1000), and those rows must still read.
     */
    private static final int MAX_STORED_NUMBER_DIGITS = 1100;

    /** The longest string a request may hold, in characters: a body of no more bytes cannot hold a longer one. */
    private static final int MAX_STRING_CHARS = 64 * 1024 * 1024;
    private static final ObjectMapper MAPPER = mapper(MAX_NUMBER_DIGITS);
    private static final ObjectMapper STORED = mapper(MAX_STORED_NUMBER_DIGITS);

    private static ObjectMapper mapper(int maxNumberDigits) {
        return JsonMapper.builder(JsonFactory.builder()
                        .streamReadConstraints(StreamReadConstraints.builder()
                                .maxNestingDepth(MAX_DEPTH)
                                .maxNumberLength(maxNumberDigits)
                                .maxStringLength(MAX_STRING_CHARS)
                                .build())
                        .addDecorator((factory, generator) -> new DecimalWriter(generator))
                        .build())
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .build();
    }

    private FhirJson() {}

    public static ObjectMapper mapper() { return MAPPER; }

    /** Parses request bytes; any defect is a 400 {@code Content could not be parsed} naming the problem. */
    public static JsonNode parse(byte[] bytes) {
        return readRequest(bytes, () -> {
            JsonNode node = MAPPER.readTree(bytes);
            if (node == null || node.isMissingNode()) throw emptyBody();
            return node;
        });
    }

    /**
     * Checks request bytes as {@link #parse} would parse them, without building the tree: the same rules (duplicate
     * keys, depth, number sizes, trailing content, invalid UTF-8) and the same 400 for a defect. For callers that
     * hand the bytes on and need only to know they parse, such as a bot's JSON body, which the sandbox parses itself.
     *
     * @return the first token: {@code START_OBJECT}, {@code START_ARRAY} or a scalar's
     */
    public static JsonToken check(byte[] bytes) {
        // the parser refuses a string over its limit only when the string is read, which this check does not do
        if (bytes.length > MAX_STRING_CHARS) return parse(bytes).asToken();
        return readRequest(bytes, () -> {
            try (JsonParser parser = MAPPER.createParser(bytes)) {
                JsonToken first = parser.nextToken();
                if (first == null) throw emptyBody();
                int depth = 0;
                JsonToken token = first;
                do {
                    switch (token) {
                        case START_OBJECT, START_ARRAY -> depth++;
                        case END_OBJECT, END_ARRAY -> depth--;
                        case VALUE_NUMBER_FLOAT -> parser.getDecimalValue(); // as parse reads it: 1e99999999999 fails here
                        default -> { }
                    }
                } while (depth > 0 && (token = parser.nextToken()) != null);
                if (parser.nextToken() != null) {
                    throw ApiException.badRequest("http.invalid-json", "Content could not be parsed: content after the JSON value");
                }
                return first;
            }
        });
    }

    private interface RequestReader<T> { T read() throws IOException; }

    /** Runs {@code reader} over request bytes, turning each way they can fail into its 400. */
    private static <T> T readRequest(byte[] bytes, RequestReader<T> reader) {
        if (bytes.length == 0) throw emptyBody();
        try {
            return reader.read();
        } catch (CharConversionException e) {
            throw ApiException.badRequest("http.invalid-utf8", "Content could not be parsed: invalid UTF-8");
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("http.invalid-json", "Content could not be parsed: " + describe(e));
        } catch (IOException e) {
            throw ApiException.badRequest("http.invalid-json", "Content could not be parsed");
        } catch (NumberFormatException e) { // an exponent beyond what BigDecimal holds, such as 1e99999999999
            throw ApiException.badRequest("http.invalid-json", "Content could not be parsed: a number is out of range");
        }
    }

    private static ApiException emptyBody() {
        return ApiException.badRequest("http.empty-body", "Content could not be parsed: the body is empty");
    }

    /** Parses JSON this server wrote itself (from the database); failure is a bug, not bad input. */
    public static ObjectNode parseStored(String json) {
        try {
            return (ObjectNode) STORED.readTree(json);
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

    /**
     * The text written for a decimal. Plain notation keeps what a client wrote: {@code 1.50} stays {@code 1.50}
     * (FHIR decimals carry their precision in their digits) and {@code 0.0001} stays {@code 0.0001}. Two kinds keep
     * an exponent instead: a negative scale, which only an exponent produces and which plain notation would
     * misstate ({@code 1e2} has one significant digit, {@code 100} three), and a plain form of more than
     * {@link #MAX_NUMBER_DIGITS} digits ({@code 1e-70}), which could not be read back. Exponents are written in
     * JavaScript's style ({@code 1e+100}, {@code 1.5e-70}), as a Medplum server writes them.
     */
    static String decimalText(BigDecimal value) {
        if (value.scale() >= 0 && Math.max(value.precision(), value.scale() + 1L) <= MAX_NUMBER_DIGITS) {
            return value.toPlainString();
        }
        String digits = value.unscaledValue().abs().toString();
        long exponent = digits.length() - 1L - value.scale();
        var text = new StringBuilder(digits.length() + 16);
        if (value.signum() < 0) text.append('-');
        text.append(digits.charAt(0));
        if (digits.length() > 1) text.append('.').append(digits, 1, digits.length());
        return text.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent)).toString();
    }

    /** The digits of the text this server writes for {@code number}, counted as {@link #MAX_NUMBER_DIGITS} counts them. */
    static int writtenDigits(JsonNode number) {
        String text = number.isBigDecimal() ? decimalText(number.decimalValue()) : number.asText();
        int digits = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= '0' && text.charAt(i) <= '9') digits++;
        }
        return digits;
    }

    /** Writes every decimal as {@link #decimalText} does, whatever the node or object holding it. */
    private static final class DecimalWriter extends JsonGeneratorDelegate {
        DecimalWriter(JsonGenerator generator) {
            super(generator, false);
        }

        @Override
        public void writeNumber(BigDecimal value) throws IOException {
            if (value == null) writeNull();
            else delegate.writeNumber(decimalText(value));
        }
    }

    private static final java.util.regex.Pattern LIBRARY_DETAIL = java.util.regex.Pattern.compile(
            "\\s*\\((?:start marker at )?\\[Source:[^\\]]*\\]\\)|\\s*\\[Source:[^\\]]*\\]|,? from `[^`]*`");

    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null) return "malformed JSON";
        if (message.contains("Duplicate field")) {
            message = "duplicate key " + message.substring(message.indexOf('\''), message.lastIndexOf('\'') + 1);
        } else if (message.contains("nesting depth")) {
            message = "JSON nested deeper than " + MAX_DEPTH + " levels";
        } else if (message.contains("Invalid UTF-8")) {
            message = "invalid UTF-8";
        } else if (message.startsWith("Number value length")) {
            message = "a number longer than " + MAX_NUMBER_DIGITS + " digits";
        }
        // the parser's own references ("[Source: REDACTED (`StreamReadFeature...` disabled); line: 1, column: 1]",
        // "from `StreamReadConstraints...`") say nothing to a client and name the library
        message = LIBRARY_DETAIL.matcher(message).replaceAll("").strip();
        var location = e.getLocation();
        if (message.length() > 200) message = message.substring(0, 200);
        return location == null ? message : message + " (line " + location.getLineNr() + ", column "
                + location.getColumnNr() + ")";
    }

}
