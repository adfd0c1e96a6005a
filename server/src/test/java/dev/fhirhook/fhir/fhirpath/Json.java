package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.fhirpath.FhirPath.Item;

/** Short ways to write resources and expected items in tests, read the way the server reads request bodies. */
final class Json {
    private Json() {
    }

    static JsonNode json(String text) {
        try {
            return FhirJson.mapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** An item for the node at a JSON pointer of {@code resource}, with its expected type. */
    static Item at(JsonNode resource, String pointer, String type) {
        JsonNode node = resource.at(pointer);
        if (node.isMissingNode()) throw new IllegalArgumentException("nothing at " + pointer);
        return new Item(node, type);
    }

    static Item text(String value) {
        return new Item(TextNode.valueOf(value), null);
    }

    static Item text(String value, String type) {
        return new Item(TextNode.valueOf(value), type);
    }

    static Item bool(boolean value) {
        return new Item(BooleanNode.valueOf(value), "boolean");
    }
}
