package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The input of a FHIR operation ({@code $init}, {@code $rotate-secret}, ...): a {@code Parameters} resource,
 * or, as Medplum also accepts, a plain JSON object whose keys are the parameter names. Each parameter is
 * returned as its value node ({@code valueString}, {@code valueReference}, ... or {@code resource}); the
 * caller checks the types it expects. Pure.
 */
public final class OperationInput {
    private static final Set<String> JSON_TYPES = Set.of("application/fhir+json", "application/json");

    private OperationInput() {}

    /** The body of an admin request: a JSON object, else 400 (415 for a body that is not JSON at all). */
    public static ObjectNode jsonObject(ApiRequest request) {
        request.requireMediaType(JSON_TYPES, true);
        JsonNode body = FhirJson.parse(request.body());
        if (!(body instanceof ObjectNode object)) {
            throw ApiException.badRequest("fhir.not-a-resource", "Content could not be parsed: expected a JSON object");
        }
        return object;
    }

    /**
     * The values of the parameters named in {@code names}, at most one each (400 otherwise); other names are
     * ignored, as Medplum ignores parameters an operation does not define.
     */
    public static Map<String, JsonNode> read(ApiRequest request, Set<String> names) {
        ObjectNode object = jsonObject(request);
        var values = new LinkedHashMap<String, JsonNode>();
        JsonNode resourceType = object.get("resourceType");
        if (resourceType == null) {
            names.forEach(name -> {
                if (object.has(name)) values.put(name, object.get(name));
            });
            return values;
        }
        if (!"Parameters".equals(resourceType.asText(null)) || !resourceType.isTextual()) {
            throw ApiException.badRequest("fhir.incorrect-type", "Expected a Parameters resource").at("resourceType");
        }
        JsonNode parameters = object.path("parameter");
        if (!parameters.isMissingNode() && !parameters.isArray()) {
            throw ApiException.badRequest("fhir.invalid-parameters", "Invalid Parameters: parameter must be an array")
                    .at("parameter");
        }
        for (JsonNode parameter : parameters) {
            JsonNode name = parameter.path("name");
            if (!parameter.isObject() || !name.isTextual()) {
                throw ApiException.badRequest("fhir.invalid-parameters", "Invalid Parameters: each parameter needs a name")
                        .at("parameter");
            }
            if (!names.contains(name.asText())) continue;
            if (values.containsKey(name.asText())) {
                throw ApiException.badRequest("fhir.invalid-parameters",
                        "Expected at most one value for parameter " + name.asText()).at(name.asText());
            }
            values.put(name.asText(), value(parameter));
        }
        return values;
    }

    /** The one {@code value[x]} (or {@code resource}) of a parameter; a parameter without one has a missing value. */
    private static JsonNode value(JsonNode parameter) {
        for (var field : parameter.properties()) {
            if (field.getKey().startsWith("value") || field.getKey().equals("resource")) return field.getValue();
        }
        return com.fasterxml.jackson.databind.node.MissingNode.getInstance();
    }
}
