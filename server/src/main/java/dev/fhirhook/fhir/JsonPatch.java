package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.fhirhook.api.ApiException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * RFC 6902 JSON Patch over Jackson trees: add, remove, replace, move, copy and test. Applies to a copy;
 * the first failing operation aborts the whole patch with a 400 naming its index.
 *
 * <p>The document is held to {@link Limits} while it is patched, not afterwards: every copy of the root into
 * itself doubles it, so a patch of a few hundred bytes would otherwise exhaust the heap before any check at the
 * end. An operation that would nest the document deeper than allowed fails with a 400; one that would make it
 * larger than allowed, or make the patch copy more than that in all, fails with a 413 before it copies
 * anything. The document therefore never outgrows the limit, and the work of a patch is bounded by the sizes
 * of the document, the patch and the limit. Pure and thread-safe.
 */
public final class JsonPatch {
    /**
     * What a patched document may become: what a request body may be.
     *
     * @param maxBytes the most bytes it may take serialized; also the most a patch may copy, or move to a deeper
     *     place, in all (each of those walks the whole value, so a patch repeating them is bounded too)
     * @param maxDepth how deep its containers may nest, counted as the parser counts them (the root is 1)
     */
    public record Limits(long maxBytes, int maxDepth) {}

    private JsonPatch() {}

    public static JsonNode apply(JsonNode document, JsonNode patch, Limits limits) {
        if (!patch.isArray()) throw invalid("a JSON Patch must be an array of operations");
        var patched = new Patched(document.deepCopy(), limits);
        for (int i = 0; i < patch.size(); i++) {
            try {
                patched.apply(patch.get(i));
            } catch (PatchFailure e) {
                throw invalid("operation " + i + " failed: " + e.getMessage()).at("[" + i + "]");
            } catch (TooLarge e) {
                throw ApiException.tooLarge(e.subject + ": operation " + i + " " + e.getMessage()).at("[" + i + "]");
            }
        }
        return patched.root;
    }

    private static final class PatchFailure extends Exception {
        PatchFailure(String message) { super(message, null, false, false); }
    }

    private static final class TooLarge extends Exception {
        final String subject;

        TooLarge(String subject, String message) {
            super(message, null, false, false);
            this.subject = subject;
        }
    }

    private static ApiException invalid(String text) {
        return ApiException.badRequest("fhir.invalid-patch", "Invalid JSON Patch: " + text);
    }

    /** The document being patched, with its size kept exact as operations change it. */
    private static final class Patched {
        private final Limits limits;
        private JsonNode root;
        /** Bytes of {@link #root} serialized, up to date after every operation. */
        private long size;
        /** Bytes the patch has copied or moved deeper so far. */
        private long walked;

        Patched(JsonNode root, Limits limits) {
            this.root = root;
            this.limits = limits;
            this.size = bytes(root);
        }

        void apply(JsonNode op) throws PatchFailure, TooLarge {
            if (!op.isObject()) throw new PatchFailure("an operation must be an object");
            String name = text(op, "op");
            List<String> path = pointer(text(op, "path"));
            switch (name) {
                case "add" -> add(path, value(op), false);
                case "remove" -> {
                    JsonNode removed = detach(path); // takes off only what held the value
                    size -= bytes(removed);
                }
                case "replace" -> add(path, value(op), true);
                case "move" -> move(pointer(text(op, "from")), path);
                case "copy" -> copy(pointer(text(op, "from")), path);
                case "test" -> {
                    if (!sameValue(resolve(path), value(op))) throw new PatchFailure("test of " + op.get("path").asText() + " did not match");
                }
                default -> throw new PatchFailure("unknown op '" + name + "'");
            }
        }

        private void add(List<String> path, JsonNode value, boolean replace) throws PatchFailure, TooLarge {
            if (replace) resolve(path);
            put(slot(path, bytes(value), height(value), replace), value.deepCopy());
        }

        private void copy(List<String> from, List<String> path) throws PatchFailure, TooLarge {
            JsonNode value = resolve(from);
            long bytes = bytes(value);
            var slot = slot(path, bytes, height(value), false);
            walk(bytes);
            put(slot, value.deepCopy());
        }

        private void move(List<String> from, List<String> path) throws PatchFailure, TooLarge {
            if (path.size() > from.size() && path.subList(0, from.size()).equals(from)) {
                throw new PatchFailure("cannot move a value into itself");
            }
            JsonNode value = resolve(from);
            if (path.equals(from)) return;
            // A value moved no deeper cannot nest deeper than it did; one moved deeper is walked for its height.
            int height = 0;
            if (path.size() > from.size()) {
                walk(bytes(value));
                height = height(value);
            }
            detach(from);
            // the value's own bytes never left the size, so the slot is priced without them
            put(slot(path, 0, height, false), value);
        }

        private void walk(long bytes) throws TooLarge {
            walked += bytes;
            if (walked > limits.maxBytes()) {
                throw new TooLarge("JSON Patch too large", "copies or moves more than " + limits.maxBytes() + " bytes in all");
            }
        }

        /** Where a value goes and how much the document grows when it does; nothing is changed yet. */
        private record Slot(JsonNode parent, String key, int index, boolean replace, long growth) {}

        private Slot slot(List<String> path, long bytes, int height, boolean replace) throws PatchFailure, TooLarge {
            Slot slot;
            if (path.isEmpty()) {
                slot = new Slot(null, null, -1, true, bytes - bytes(root));
            } else {
                JsonNode parent = resolve(path.subList(0, path.size() - 1));
                String last = path.getLast();
                if (parent instanceof ObjectNode obj) {
                    JsonNode old = obj.get(last);
                    if (old == null && replace) throw new PatchFailure("path /" + String.join("/", path) + " does not exist");
                    long growth = old != null ? bytes - bytes(old) : memberBytes(last) + bytes + (obj.isEmpty() ? 0 : 1);
                    slot = new Slot(obj, last, -1, old != null, growth);
                } else if (parent instanceof ArrayNode arr) {
                    if (replace) {
                        int i = index(last, arr.size() - 1);
                        slot = new Slot(arr, null, i, true, bytes - bytes(arr.get(i)));
                    } else {
                        int i = "-".equals(last) ? arr.size() : index(last, arr.size());
                        slot = new Slot(arr, null, i, false, bytes + (arr.isEmpty() ? 0 : 1));
                    }
                } else {
                    throw new PatchFailure("parent of /" + String.join("/", path) + " is not a container");
                }
            }
            if (path.size() + height > limits.maxDepth()) {
                throw new PatchFailure("the result would be nested deeper than " + limits.maxDepth() + " levels");
            }
            if (size + slot.growth() > limits.maxBytes()) {
                throw new TooLarge("Patched resource too large", "makes it larger than " + limits.maxBytes() + " bytes");
            }
            return slot;
        }

        private void put(Slot slot, JsonNode value) {
            switch (slot.parent()) {
                case null -> root = value;
                case ObjectNode obj -> obj.set(slot.key(), value);
                case ArrayNode arr when slot.replace() -> arr.set(slot.index(), value);
                case ArrayNode arr -> arr.insert(slot.index(), value);
                default -> throw new IllegalStateException("a slot's parent is a container");
            }
            size += slot.growth();
        }

        /** Takes the value at {@code path} out; the size loses what held it (key, comma), not the value's own bytes. */
        private JsonNode detach(List<String> path) throws PatchFailure {
            if (path.isEmpty()) throw new PatchFailure("cannot remove the whole document");
            JsonNode parent = resolve(path.subList(0, path.size() - 1));
            String last = path.getLast();
            if (parent instanceof ObjectNode obj && obj.has(last)) {
                size -= memberBytes(last) + (obj.size() > 1 ? 1 : 0);
                return obj.remove(last);
            } else if (parent instanceof ArrayNode arr) {
                int i = index(last, arr.size() - 1);
                size -= arr.size() > 1 ? 1 : 0;
                return arr.remove(i);
            }
            throw new PatchFailure("path /" + String.join("/", path) + " does not exist");
        }

        private JsonNode resolve(List<String> path) throws PatchFailure {
            JsonNode node = root;
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
    }

    /** Bytes of an object member's {@code "key":}. */
    private static long memberBytes(String key) {
        return bytes(TextNode.valueOf(key)) + 1;
    }

    /** Bytes of {@code node} as the server writes it, counted without keeping them. */
    private static long bytes(JsonNode node) {
        var counter = new OutputStream() {
            long count;

            @Override
            public void write(int b) { count++; }

            @Override
            public void write(byte[] b, int off, int len) { count += len; }
        };
        try {
            FhirJson.mapper().writeValue(counter, node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return counter.count;
    }

    /** Containers nested in {@code node}, itself included: 0 for a scalar. */
    private static int height(JsonNode node) {
        int below = 0;
        for (JsonNode child : node) below = Math.max(below, height(child));
        return node.isContainerNode() ? below + 1 : 0;
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

    private static int index(String token, int max) throws PatchFailure {
        if (!token.matches("0|[1-9][0-9]{0,8}")) throw new PatchFailure("'" + token + "' is not an array index");
        int i = Integer.parseInt(token);
        if (i > max) throw new PatchFailure("index " + i + " is out of bounds");
        return i;
    }
}
