package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;

/**
 * Structural checks every stored resource passes: the parts the server relies on have the right JSON
 * types. Full StructureDefinition validation is not done here. Pure.
 */
final class ResourceValidation {
    private ResourceValidation() {}

    static void check(ObjectNode resource) {
        JsonNode id = resource.get("id");
        if (id != null && !(id.isTextual() && ResourceStore.ID.matcher(id.asText()).matches())) {
            throw ApiException.badRequest("fhir.invalid-id",
                    "Invalid id: must be 1-64 characters of A-Z, a-z, 0-9, '-' and '.'").at("id");
        }
        JsonNode meta = resource.get("meta");
        if (meta != null && !meta.isObject()) {
            throw ApiException.badRequest("fhir.invalid-meta", "Invalid meta: must be an object").at("meta");
        }
        for (var entry : resource.properties()) {
            if (entry.getValue().isNull()) {
                throw ApiException.badRequest("fhir.null-value", "Invalid value: null is not allowed in FHIR JSON")
                        .at(entry.getKey());
            }
            if (entry.getKey().isEmpty()) {
                throw ApiException.badRequest("fhir.empty-key", "Invalid property: empty name");
            }
        }
    }
}
