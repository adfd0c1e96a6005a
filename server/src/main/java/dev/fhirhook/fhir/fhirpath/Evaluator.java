package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.fhirhook.fhir.fhirpath.FhirPath.Item;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Evaluates a parsed expression over a Jackson tree. One instance per evaluation (it holds the variables); recursion
 * follows the expression tree, whose height the parser bounds, never the JSON nesting.
 */
final class Evaluator {
    private static final Item TRUE = new Item(BooleanNode.TRUE, "boolean");
    private static final Item FALSE = new Item(BooleanNode.FALSE, "boolean");
    private static final Pattern RESOURCE_TYPE = Pattern.compile("[A-Z][A-Za-z]{1,63}");
    private static final Pattern RESOURCE_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");

    private final Item resource;
    private final Item context;

    Evaluator(Item resource, Item context) {
        this.resource = resource;
        this.context = context;
    }

    List<Item> evaluate(Expr expr, List<Item> input) {
        return switch (expr) {
            case Expr.Focus f -> input;
            case Expr.Variable v -> switch (v.name()) {
                // resources inside a Bundle or contained are not roots of their own here, so both are the input resource
                case RESOURCE, ROOT_RESOURCE -> List.of(resource);
                case CONTEXT -> List.of(context);
            };
            case Expr.Literal l -> List.of(l.value());
            case Expr.Member m -> {
                var out = new ArrayList<Item>();
                for (Item item : evaluate(m.focus(), input)) children(item.node(), m.name(), out);
                yield out;
            }
            case Expr.Index i -> {
                List<Item> items = evaluate(i.focus(), input);
                yield i.index() < items.size() ? List.of(items.get(i.index())) : List.of();
            }
            case Expr.Union u -> union(u, input);
            case Expr.Equality e -> equality(evaluate(e.left(), input), evaluate(e.right(), input), e.negated());
            case Expr.Logic l -> logic(l, input);
            case Expr.Is i -> {
                List<Item> items = evaluate(i.focus(), input);
                if (items.size() > 1) throw new FhirPathException("'is' needs a single item but got " + items.size(), i.at());
                yield items.isEmpty() ? List.of() : List.of(bool(i.type().matches(items.getFirst())));
            }
            case Expr.As a -> evaluate(a.focus(), input).stream().filter(a.type()::matches).toList();
            case Expr.Where w -> {
                var out = new ArrayList<Item>();
                for (Item item : evaluate(w.focus(), input)) {
                    if (Boolean.TRUE.equals(singletonBoolean(evaluate(w.criteria(), List.of(item)), w.at()))) out.add(item);
                }
                yield out;
            }
            case Expr.Exists e -> List.of(bool(!evaluate(e.focus(), input).isEmpty()));
            case Expr.Empty e -> List.of(bool(evaluate(e.focus(), input).isEmpty()));
            case Expr.Not n -> {
                Boolean value = singletonBoolean(evaluate(n.focus(), input), n.at());
                yield value == null ? List.of() : List.of(bool(!value));
            }
            case Expr.Resolve r -> {
                var out = new ArrayList<Item>();
                for (Item item : evaluate(r.focus(), input)) {
                    Item target = resolve(item.node());
                    if (target != null) out.add(target);
                }
                yield out;
            }
            case Expr.Extension e -> {
                var out = new ArrayList<Item>();
                for (Item item : evaluate(e.focus(), input)) {
                    var extensions = new ArrayList<Item>();
                    children(item.node(), "extension", extensions);
                    for (Item extension : extensions) {
                        JsonNode url = extension.node().get("url");
                        if (url != null && url.isTextual() && url.textValue().equals(e.url())) out.add(extension);
                    }
                }
                yield out;
            }
        };
    }

    /**
     * The element {@code name} of an object, arrays flattened. When the object has no such field, the element may
     * be a choice {@code name[x]}: a field named {@code name} + a type suffix, which also tells the item's type.
     * {@code _name} fields (primitive ids and extensions) are never elements.
     */
    private static void children(JsonNode node, String name, List<Item> out) {
        if (!node.isObject() || name.startsWith("_")) return;
        JsonNode value = node.get(name);
        if (value != null) {
            add(value, null, out);
            return;
        }
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String key = field.getKey();
            if (key.length() > name.length() && key.startsWith(name) && Character.isUpperCase(key.charAt(name.length()))) {
                String type = FhirTypes.choiceType(key.substring(name.length()));
                if (type != null) add(field.getValue(), type, out);
            }
        }
    }

    private static void add(JsonNode value, String type, List<Item> out) {
        if (value.isArray()) {
            for (JsonNode element : value) {
                // nulls pad primitive arrays that have a parallel _name array of extensions
                if (!element.isNull()) out.add(new Item(element, type != null ? type : inferredType(element)));
            }
        } else if (!value.isNull()) {
            out.add(new Item(value, type != null ? type : inferredType(value)));
        }
    }

    /** The only types JSON shows reliably: a resource names its own, and a JSON boolean is always FHIR boolean. */
    static String inferredType(JsonNode node) {
        if (node.isBoolean()) return "boolean";
        JsonNode resourceType = node.get("resourceType");
        return resourceType != null && resourceType.isTextual() ? resourceType.textValue() : null;
    }

    private List<Item> union(Expr.Union union, List<Item> input) {
        var distinct = new LinkedHashMap<Distinct, Item>();
        for (Expr part : union.parts()) {
            for (Item item : evaluate(part, input)) distinct.putIfAbsent(new Distinct(item.node()), item);
        }
        return List.copyOf(distinct.values());
    }

    /** A union key: FHIRPath removes duplicates by value, not by identity. */
    private record Distinct(JsonNode node) {
        @Override
        public boolean equals(Object other) {
            return other instanceof Distinct d && JsonValues.equal(node, d.node);
        }

        @Override
        public int hashCode() {
            return JsonValues.shallowHash(node);
        }
    }

    private static List<Item> equality(List<Item> left, List<Item> right, boolean negated) {
        if (left.isEmpty() || right.isEmpty()) return List.of();
        boolean equal = left.size() == right.size();
        for (int i = 0; equal && i < left.size(); i++) equal = JsonValues.equal(left.get(i).node(), right.get(i).node());
        return List.of(bool(equal != negated));
    }

    /** Three-valued: empty is "unknown", so false and unknown is false, true or unknown is true. */
    private List<Item> logic(Expr.Logic logic, List<Item> input) {
        Boolean left = singletonBoolean(evaluate(logic.left(), input), logic.at());
        Boolean right = singletonBoolean(evaluate(logic.right(), input), logic.at());
        Boolean result = switch (logic.operator()) {
            case AND -> Boolean.FALSE.equals(left) || Boolean.FALSE.equals(right) ? Boolean.FALSE
                    : left == null || right == null ? null : Boolean.TRUE;
            case OR -> Boolean.TRUE.equals(left) || Boolean.TRUE.equals(right) ? Boolean.TRUE
                    : left == null || right == null ? null : Boolean.FALSE;
        };
        return result == null ? List.of() : List.of(bool(result));
    }

    /**
     * FHIRPath singleton evaluation: empty is unknown (null), one boolean is itself, any other single item is
     * true; several items are an error.
     */
    private static Boolean singletonBoolean(List<Item> items, int at) {
        if (items.isEmpty()) return null;
        if (items.size() > 1) throw new FhirPathException("expected a single boolean but got " + items.size() + " items", at);
        JsonNode node = items.getFirst().node();
        return node.isBoolean() ? node.booleanValue() : Boolean.TRUE;
    }

    private static Item bool(boolean value) {
        return value ? TRUE : FALSE;
    }

    /**
     * Without I/O: a literal reference {@code Type/id} (relative, absolute URL, with or without
     * {@code /_history/v}) becomes a stub {@code {"resourceType":Type,"id":id}} of that type; {@code #id} is
     * looked up among the resource's contained resources. Anything else (urn:uuid, conditional, logical,
     * identifier-only) resolves to nothing. A string item (canonical, uri) is read as the reference itself.
     */
    private Item resolve(JsonNode node) {
        JsonNode ref = node.isTextual() ? node : node.get("reference");
        if (ref == null || !ref.isTextual()) return null;
        String reference = ref.textValue();
        if (node.isTextual()) {
            int bar = reference.indexOf('|'); // canonical|version
            if (bar >= 0) reference = reference.substring(0, bar);
        }
        if (reference.startsWith("#")) return contained(reference.substring(1));
        if (reference.indexOf('?') >= 0) return null;
        String[] segments = reference.split("/", -1);
        int n = segments.length;
        if (n >= 4 && segments[n - 2].equals("_history")) n -= 2;
        if (n < 2) return null;
        String type = segments[n - 2];
        String id = segments[n - 1];
        if (!RESOURCE_TYPE.matcher(type).matches() || !RESOURCE_ID.matcher(id).matches()) return null;
        var stub = JsonNodeFactory.instance.objectNode().put("resourceType", type).put("id", id);
        return new Item(stub, type);
    }

    private Item contained(String id) {
        if (id.isEmpty()) return resource; // "#" is the containing resource itself
        JsonNode contained = resource.node().get("contained");
        if (contained == null || !contained.isArray()) return null;
        for (JsonNode candidate : contained) {
            JsonNode candidateId = candidate.get("id");
            String type = inferredType(candidate);
            if (candidateId != null && candidateId.isTextual() && candidateId.textValue().equals(id) && type != null) {
                return new Item(candidate, type);
            }
        }
        return null;
    }
}
