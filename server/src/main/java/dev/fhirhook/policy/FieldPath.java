package dev.fhirhook.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import java.util.ArrayList;
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
     * original has nothing or is null: a created resource). Objects on the way are created when the writer
     * left them out, so a protected value survives; arrays are matched element by element and are not
     * recreated, because the writer may legitimately remove elements it can see.
     */
    public void restore(ObjectNode written, JsonNode original) {
        restore(written, original instanceof ObjectNode o ? o : null, 0);
    }

    private void restore(ObjectNode target, ObjectNode source, int depth) {
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
            if (to instanceof ObjectNode object) {
                restore(object, from instanceof ObjectNode f ? f : null, depth + 1);
            } else if (to instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    if (!(array.get(i) instanceof ObjectNode item)) continue;
                    JsonNode counterpart = from instanceof ArrayNode fromArray && i < fromArray.size() ? fromArray.get(i) : null;
                    restore(item, counterpart instanceof ObjectNode c ? c : null, depth + 1);
                }
            }
        }
    }

    private static List<String> keys(ObjectNode object, String step) {
        var keys = new ArrayList<String>(1);
        for (var names = object.fieldNames(); names.hasNext(); ) {
            String key = names.next();
            if (key.equals(step) || FhirPath.isChoiceOf(step, key)) keys.add(key);
        }
        return keys;
    }

    @Override
    public String toString() {
        return String.join(".", steps);
    }
}
