package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Map;

/**
 * FHIRPath equality of JSON values: numbers by value (1 = 1.0), strings and booleans exactly, objects and arrays
 * member by member. Iterative, so a deeply nested resource cannot overflow the stack. Dates are compared as
 * text, so values of different precision are simply unequal rather than "unknown".
 */
final class JsonValues {
    private JsonValues() {
    }

    static boolean equal(JsonNode a, JsonNode b) {
        var pending = new ArrayDeque<JsonNode[]>();
        pending.push(new JsonNode[] {a, b});
        while (!pending.isEmpty()) {
            JsonNode[] pair = pending.pop();
            JsonNode x = pair[0];
            JsonNode y = pair[1];
            if (x == y) continue;
            if (x.isNumber() && y.isNumber()) {
                if (x.decimalValue().compareTo(y.decimalValue()) != 0) return false;
            } else if (x.isTextual() && y.isTextual()) {
                if (!x.textValue().equals(y.textValue())) return false;
            } else if (x.isBoolean() && y.isBoolean()) {
                if (x.booleanValue() != y.booleanValue()) return false;
            } else if (x.isObject() && y.isObject()) {
                if (x.size() != y.size()) return false;
                for (Map.Entry<String, JsonNode> field : x.properties()) {
                    JsonNode other = y.get(field.getKey());
                    if (other == null) return false;
                    pending.push(new JsonNode[] {field.getValue(), other});
                }
            } else if (x.isArray() && y.isArray()) {
                if (x.size() != y.size()) return false;
                for (int i = 0; i < x.size(); i++) pending.push(new JsonNode[] {x.get(i), y.get(i)});
            } else if (!(x.isNull() && y.isNull())) {
                return false;
            }
        }
        return true;
    }

    /** Consistent with {@link #equal} but looks only one level deep, so it is cheap and cannot recurse. */
    static int shallowHash(JsonNode node) {
        if (node.isContainerNode()) {
            int hash = node.isObject() ? 1 : 2;
            hash = 31 * hash + node.size();
            if (node.isObject()) {
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    // order-independent, like object equality
                    hash += field.getKey().hashCode() ^ (field.getValue().isValueNode() ? valueHash(field.getValue()) : 0);
                }
            }
            return hash;
        }
        return valueHash(node);
    }

    private static int valueHash(JsonNode node) {
        if (node.isNumber()) return node.decimalValue().stripTrailingZeros().hashCode();
        if (node.isTextual()) return node.textValue().hashCode();
        if (node.isBoolean()) return Boolean.hashCode(node.booleanValue());
        return 0;
    }
}
