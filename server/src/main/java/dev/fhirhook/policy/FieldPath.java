package dev.fhirhook.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A field named in {@code hiddenFields} or {@code readonlyFields}: a dotted path such as {@code name.family}.
 * Each step goes through objects and through every element of an array. A step also matches the element's
 * choice-type forms ({@code deceased} and {@code deceased[x]} both match {@code deceasedBoolean}), so a field
 * cannot slip past by the type it was written with. Pure; the JSON methods change the node they are given.
 */
public record FieldPath(List<String> steps) {
    private static final Pattern STEP = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
    static final int MAX_STEPS = 10;

    public FieldPath {
        steps = List.copyOf(steps);
    }

    /** The path, or empty when it is not one: bad steps, too deep, or {@code resourceType} and {@code id}, which every reader needs. */
    public static Optional<FieldPath> parse(String text) {
        if (text == null || text.isEmpty() || text.length() > 300) return Optional.empty();
        var steps = new ArrayList<String>();
        for (String raw : text.split("\\.", -1)) {
            String step = raw.endsWith("[x]") ? raw.substring(0, raw.length() - 3) : raw;
            if (!STEP.matcher(step).matches()) return Optional.empty();
            steps.add(step);
        }
        if (steps.size() > MAX_STEPS) return Optional.empty();
        if (steps.size() == 1 && (steps.getFirst().equals("resourceType") || steps.getFirst().equals("id"))) {
            return Optional.empty();
        }
        return Optional.of(new FieldPath(steps));
    }

    /** Removes every value at this path; true when something was removed. */
    public boolean removeFrom(JsonNode node) {
        return remove(node, 0);
    }

    private boolean remove(JsonNode node, int depth) {
        if (node instanceof ArrayNode array) {
            boolean removed = false;
            for (JsonNode item : array) removed |= remove(item, depth);
            return removed;
        }
        if (!(node instanceof ObjectNode object)) return false;
        boolean removed = false;
        for (String key : keys(object, steps.get(depth))) {
            if (depth == steps.size() - 1) {
                object.remove(key);
                removed = true;
            } else {
                removed |= remove(object.get(key), depth + 1);
            }
        }
        return removed;
    }

    /**
     * Makes {@code written} hold, at this path, exactly what {@code original} holds there (nothing, when the
     * original has nothing or is null: a created resource). Objects on the way are created when the writer left
     * them out, so a protected value survives. Array elements on the way are paired by what the writer could see
     * of them: an original element whose other fields the writer sent back unchanged is that element, wherever the
     * writer moved it; the elements the writer changed are paired, in order, with the originals left over. Each
     * written element gets the protected values of its pair, and none when it has no pair (the writer added it).
     *
     * @throws ApiException 403 when the writer removed an element that holds a protected value: the value would
     *                      be lost, and a writer that cannot see it cannot know what it removes
     */
    public void restore(ObjectNode written, JsonNode original) {
        restore(written, original instanceof ObjectNode o ? o : null, 0, "");
    }

    private void restore(ObjectNode target, ObjectNode source, int depth, String at) {
        var keys = new LinkedHashSet<>(keys(target, steps.get(depth)));
        if (source != null) keys.addAll(keys(source, steps.get(depth)));
        boolean last = depth == steps.size() - 1;
        for (String key : keys) {
            JsonNode from = source == null ? null : source.get(key);
            if (last) {
                target.remove(key);
                if (from != null) target.set(key, from.deepCopy());
                continue;
            }
            JsonNode to = target.get(key);
            if (to == null && from instanceof ObjectNode) to = target.putObject(key);
            String here = at.isEmpty() ? key : at + "." + key;
            boolean sameShape = from == null || (to instanceof ObjectNode && from instanceof ObjectNode)
                    || (to instanceof ArrayNode && from instanceof ArrayNode) || to == null;
            if (!sameShape && holds(from, depth + 1)) {
                // a string, or an object where an array was: nothing to pair, and the protected value would be lost
                throw ApiException.forbidden("policy.protected-field", "Cannot replace " + here + ": it holds " + this
                        + ", which the access policy protects");
            }
            if (to instanceof ObjectNode object) {
                restore(object, from instanceof ObjectNode f ? f : null, depth + 1, here);
            } else if (to instanceof ArrayNode array) {
                restoreElements(array, from instanceof ArrayNode f ? f : null, depth + 1, here);
            } else if (to == null && from instanceof ArrayNode f) {
                restoreElements(JsonNodeFactory.instance.arrayNode(), f, depth + 1, here); // the whole array removed
            }
        }
    }

    private void restoreElements(ArrayNode written, ArrayNode original, int depth, String at) {
        var rest = new FieldPath(steps.subList(depth, steps.size()));
        int m = original == null ? 0 : original.size();
        boolean[] paired = new boolean[m];
        boolean[] holds = new boolean[m];
        // the original elements by what the writer could see of them
        var byVisible = new HashMap<JsonNode, ArrayDeque<Integer>>();
        for (int j = 0; j < m; j++) {
            if (!(original.get(j) instanceof ObjectNode element)) continue;
            var visible = element.deepCopy();
            holds[j] = rest.removeFrom(visible);
            byVisible.computeIfAbsent(visible, k -> new ArrayDeque<>()).add(j);
        }
        int[] pairOf = new int[written.size()];
        Arrays.fill(pairOf, -1);
        for (int i = 0; i < written.size(); i++) {
            if (!(written.get(i) instanceof ObjectNode element)) continue;
            var visible = element.deepCopy();
            rest.removeFrom(visible);
            var same = byVisible.get(visible);
            if (same != null && !same.isEmpty()) paired[pairOf[i] = same.poll()] = true;
        }
        // the rest in order: the writer's changed elements are the originals it did not send back unchanged
        int next = 0;
        for (int i = 0; i < written.size(); i++) {
            if (pairOf[i] >= 0 || !(written.get(i) instanceof ObjectNode)) continue;
            while (next < m && (paired[next] || !(original.get(next) instanceof ObjectNode))) next++;
            if (next == m) break;
            paired[pairOf[i] = next] = true;
        }
        for (int j = 0; j < m; j++) {
            if (holds[j] && !paired[j]) {
                throw ApiException.forbidden("policy.protected-field", "Cannot remove " + at + "[" + j + "]: it holds "
                        + this + ", which the access policy protects");
            }
        }
        for (int i = 0; i < written.size(); i++) {
            if (!(written.get(i) instanceof ObjectNode element)) continue;
            JsonNode pair = pairOf[i] < 0 ? null : original.get(pairOf[i]);
            restore(element, pair instanceof ObjectNode p ? p : null, depth, at + "[" + i + "]");
        }
    }

    /** Whether {@code node} has a value at this path's steps from {@code depth} on. */
    private boolean holds(JsonNode node, int depth) {
        return new FieldPath(steps.subList(depth, steps.size())).removeFrom(node.deepCopy());
    }

    /**
     * The keys of {@code object} that {@code step} names: the element, its choice-type forms, and the {@code _}
     * siblings FHIR JSON gives primitives for their id and extensions ({@code _birthDate}), which can carry the
     * value too (a birth time, an own-name extension).
     */
    private static List<String> keys(ObjectNode object, String step) {
        var keys = new ArrayList<String>(1);
        for (var names = object.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            String element = key.startsWith("_") ? key.substring(1) : key;
            if (element.equals(step) || FhirPath.isChoiceOf(step, element)) keys.add(key);
        }
        return keys;
    }

    @Override
    public String toString() {
        return String.join(".", steps);
    }
}
