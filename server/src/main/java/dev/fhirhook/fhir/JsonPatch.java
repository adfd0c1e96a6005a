package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 6902 JSON Patch over Jackson trees: add, remove, replace, move, copy and test. Applies to a copy;
 * the first failing operation aborts the whole patch with a 400 naming its index. Pure and thread-safe.
 */
public final class JsonPatch {
    private JsonPatch() {}

    public static JsonNode apply(JsonNode document, JsonNode patch) {
        if (!patch.isArray()) throw invalid("a JSON Patch must be an array of operations");
        JsonNode doc = document.deepCopy();
        for (int i = 0; i < patch.size(); i++) {
            JsonNode op = patch.get(i);
            try {
                doc = applyOne(doc, op);
            } catch (PatchFailure e) {
                throw invalid("operation " + i + " failed: " + e.getMessage()).at("[" + i + "]");
            }
        }
        return doc;
    }

    private static final class PatchFailure extends Exception {
        PatchFailure(String message) { super(message, null, false, false); }
    }

    private static ApiException invalid(String text) {
        return ApiException.badRequest("fhir.invalid-patch", "Invalid JSON Patch: " + text);
    }

    private static JsonNode applyOne(JsonNode doc, JsonNode op) throws PatchFailure {
        if (!op.isObject()) throw new PatchFailure("an operation must be an object");
        String name = text(op, "op");
        List<String> path = pointer(text(op, "path"));
        return switch (name) {
            case "add" -> add(doc, path, value(op));
            case "remove" -> { remove(doc, path); yield doc; }
            case "replace" -> {
                if (path.isEmpty()) yield value(op).deepCopy();
                resolve(doc, path);
                remove(doc, path);
                yield add(doc, path, value(op));
            }
            case "move" -> {
                List<String> from = pointer(text(op, "from"));
                if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
                    throw new PatchFailure("cannot move a value into itself");
                }
                JsonNode moved = resolve(doc, from);
                remove(doc, from);
                yield add(doc, path, moved);
            }
            case "copy" -> add(doc, path, resolve(doc, pointer(text(op, "from"))).deepCopy());
            case "test" -> {
                if (!sameValue(resolve(doc, path), value(op))) throw new PatchFailure("test of " + op.get("path").asText() + " did not match");
                yield doc;
            }
            default -> throw new PatchFailure("unknown op '" + name + "'");
        };
    }

    private static String text(JsonNode op, String field) throws PatchFailure {
        JsonNode v = op.get(field);
        if (v == null || !v.isTextual()) throw new PatchFailure("'" + field + "' must be a string");
        return v.asText();
    }

    private static JsonNode value(JsonNode op) throws PatchFailure {
        if (!op.has("value")) throw new PatchFailure("'value' is required");
        return op.get("value");
    }

    static List<String> pointer(String text) throws PatchFailure {
        if (text.isEmpty()) return List.of();
        if (!text.startsWith("/")) throw new PatchFailure("path '" + text + "' must start with '/'");
        var tokens = new ArrayList<String>();
        for (String raw : text.substring(1).split("/", -1)) {
            for (int i = 0; i < raw.length(); i++) {
                if (raw.charAt(i) == '~' && (i + 1 == raw.length() || (raw.charAt(i + 1) != '0' && raw.charAt(i + 1) != '1'))) {
                    throw new PatchFailure("path '" + text + "' has an invalid escape");
                }
            }
            tokens.add(raw.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    /** JSON equality as RFC 6902 defines it for "test": numbers compare by value (1 equals 1.0). */
    static boolean sameValue(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) return a.decimalValue().compareTo(b.decimalValue()) == 0;
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) {
                if (!sameValue(a.get(i), b.get(i))) return false;
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) return false;
            for (var field : a.properties()) {
                JsonNode other = b.get(field.getKey());
                if (other == null || !sameValue(field.getValue(), other)) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    private static JsonNode resolve(JsonNode doc, List<String> path) throws PatchFailure {
        JsonNode node = doc;
        for (String token : path) {
            if (node instanceof ObjectNode obj) {
                node = obj.get(token);
            } else if (node instanceof ArrayNode arr) {
                node = arr.get(index(token, arr.size() - 1));
            } else {
                node = null;
            }
            if (node == null) throw new PatchFailure("path /" + String.join("/", path) + " does not exist");
        }
        return node;
    }

    private static JsonNode add(JsonNode doc, List<String> path, JsonNode value) throws PatchFailure {
        if (path.isEmpty()) return value.deepCopy();
        JsonNode parent = resolve(doc, path.subList(0, path.size() - 1));
        String last = path.getLast();
        if (parent instanceof ObjectNode obj) {
            obj.set(last, value.deepCopy());
        } else if (parent instanceof ArrayNode arr) {
            if ("-".equals(last)) arr.add(value.deepCopy());
            else arr.insert(index(last, arr.size()), value.deepCopy());
        } else {
            throw new PatchFailure("parent of /" + String.join("/", path) + " is not a container");
        }
        return doc;
    }

    private static void remove(JsonNode doc, List<String> path) throws PatchFailure {
        if (path.isEmpty()) throw new PatchFailure("cannot remove the whole document");
        JsonNode parent = resolve(doc, path.subList(0, path.size() - 1));
        String last = path.getLast();
        if (parent instanceof ObjectNode obj && obj.has(last)) {
            obj.remove(last);
        } else if (parent instanceof ArrayNode arr) {
            arr.remove(index(last, arr.size() - 1));
        } else {
            throw new PatchFailure("path /" + String.join("/", path) + " does not exist");
        }
    }

    private static int index(String token, int max) throws PatchFailure {
        if (!token.matches("0|[1-9][0-9]{0,8}")) throw new PatchFailure("'" + token + "' is not an array index");
        int i = Integer.parseInt(token);
        if (i > max) throw new PatchFailure("index " + i + " is out of bounds");
        return i;
    }
}
