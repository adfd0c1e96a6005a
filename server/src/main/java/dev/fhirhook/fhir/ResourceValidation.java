package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;

/**
 * Structural checks every stored resource passes, over the whole tree: the parts the server relies on have
 * the right JSON types, FHIR's ban on {@code null} and empty names holds, nothing reaches PostgreSQL
 * that it would refuse or silently alter (NUL characters, unpaired surrogates), and nothing is stored that
 * the server could not read back (decimals beyond what it can write in 64 digits, nesting deeper than a
 * request may). Full StructureDefinition validation is not done here. Public because resources that other
 * features build from request input (clients, bots, memberships) must pass the same checks. Pure.
 */
public final class ResourceValidation {
    /** FHIR decimals have at most 18 significant digits; exponents beyond this are not numbers anyone stores. */
    static final int MAX_DECIMAL_SCALE = 1000;

    private ResourceValidation() {}

    /** 400 naming the element at fault when {@code resource} breaks one of the rules above. */
    public static void check(ObjectNode resource) {
        JsonNode id = resource.get("id");
        if (id != null && !(id.isTextual() && ResourceStore.ID.matcher(id.asText()).matches())) {
            throw ApiException.badRequest("fhir.invalid-id",
                    "Invalid id: must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'").at("id");
        }
        JsonNode meta = resource.get("meta");
        if (meta != null && !meta.isObject()) {
            throw ApiException.badRequest("fhir.invalid-meta", "Invalid meta: must be an object").at("meta");
        }
        walk(resource, "", 1);
    }

    /** @param depth the containers {@code node} is in, itself included, as the parser counts them */
    private static void walk(JsonNode node, String path, int depth) {
        if (node.isContainerNode() && depth > FhirJson.MAX_DEPTH) {
            // what requests and patches cannot reach either; stored, it could not be read back
            throw invalid("fhir.too-deep", "Invalid value: nested deeper than " + FhirJson.MAX_DEPTH + " levels", path);
        }
        if (node.isObject()) {
            for (var entry : node.properties()) {
                String name = entry.getKey();
                if (name.isEmpty()) throw invalid("fhir.empty-key", "Invalid property: empty name", path);
                checkText(name, path);
                walk(entry.getValue(), path.isEmpty() ? name : path + "." + name, depth + 1);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) walk(node.get(i), path + "[" + i + "]", depth + 1);
        } else if (node.isNull()) {
            throw invalid("fhir.null-value", "Invalid value: null is not allowed in FHIR JSON", path);
        } else if (node.isTextual()) {
            checkText(node.asText(), path);
        } else if (node.isNumber()) {
            checkNumber(node, path);
        }
    }

    /** Whatever passes is written in a form {@link FhirJson} reads back (a stored number must never poison reads). */
    private static void checkNumber(JsonNode number, String path) {
        if (number.isBigDecimal() && Math.abs((long) number.decimalValue().scale()) > MAX_DECIMAL_SCALE) {
            throw invalid("fhir.invalid-number", "Invalid number: out of range", path);
        }
        if (FhirJson.writtenDigits(number) > FhirJson.MAX_NUMBER_DIGITS) {
            throw invalid("fhir.invalid-number",
                    "Invalid number: more than " + FhirJson.MAX_NUMBER_DIGITS + " digits when written out", path);
        }
    }

    private static void checkText(String text, String path) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == 0) throw invalid("fhir.invalid-character", "Invalid string: contains the NUL character", path);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw invalid("fhir.invalid-character", "Invalid string: unpaired surrogate", path);
            }
            if (Character.isLowSurrogate(c)) {
                throw invalid("fhir.invalid-character", "Invalid string: unpaired surrogate", path);
            }
        }
    }

    private static ApiException invalid(String code, String text, String path) {
        var e = ApiException.badRequest(code, text);
        return path.isEmpty() ? e : e.at(path.length() > 200 ? path.substring(0, 200) : path);
    }
}
