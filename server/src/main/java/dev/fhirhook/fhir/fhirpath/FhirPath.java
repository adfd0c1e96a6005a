package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * A parsed FHIRPath expression, evaluated over Jackson trees: the subset the R4 SearchParameters use (paths,
 * choice elements, {@code |}, {@code where}, {@code exists}, {@code empty}, {@code not}, {@code first}, {@code [n]},
 * {@code as}/{@code ofType}/{@code is}, {@code resolve}, {@code extension('url')}, {@code = != and or},
 * string/number/boolean literals, {@code $this}, {@code %resource}, {@code %rootResource}, {@code %context}).
 * Anything else is rejected by {@link #parse}.
 *
 * <p>Types. An item's type is known from a choice element's suffix ({@code valueQuantity} → Quantity,
 * {@code effectiveDateTime} → dateTime), from {@code resourceType} on a resource, from a JSON boolean (always FHIR
 * boolean), from literals and from {@code resolve()}; otherwise it is null. {@code as}, {@code ofType}, {@code is}
 * and a leading type name match the known type exactly and never match an unknown one: JSON shape cannot tell
 * Quantity from Age, or code from uri or dateTime. Exceptions: {@code Resource} and {@code DomainResource} match
 * resources, and System type names ({@code DateTime}, {@code System.String}) match the FHIR primitives that convert
 * to them. {@code as} filters a collection of any size, as search parameters like
 * {@code Observation.component.value as Quantity} need.
 *
 * <p>{@code resolve()} does no I/O: {@code Type/id} and URLs ending in {@code /Type/id} (optionally
 * {@code /_history/v}) become a stub resource {@code {"resourceType":Type,"id":id}} of that type, {@code #id} the
 * contained resource; other references resolve to nothing.
 *
 * <p>Immutable and thread-safe: parse once, evaluate from any number of threads.
 */
public final class FhirPath {
    /** Longer expressions are refused, as are ones nested deeper than a few dozen levels. */
    public static final int MAX_LENGTH = Parser.MAX_LENGTH;

    /**
     * One value of a result. {@code node} is the node inside the evaluated tree (not a copy: do not modify it) or,
     * for computed values (booleans, {@code resolve()} stubs), a fresh node. {@code type} is the FHIR type name
     * when known ({@code "Quantity"}, {@code "dateTime"}, {@code "Patient"}), else null.
     */
    public record Item(JsonNode node, String type) {
        public Item {
            Objects.requireNonNull(node, "node");
        }
    }

    private final String expression;
    private final Expr root;

    private FhirPath(String expression, Expr root) {
        this.expression = expression;
        this.root = root;
    }

    /**
     * Whether {@code key} is the JSON name of choice element {@code element} with one of its R4 types, such as
     * {@code deceasedBoolean} for {@code deceased}; names like {@code statusReason} for {@code status} are not.
     */
    public static boolean isChoiceOf(String element, String key) {
        return key.length() > element.length() && key.startsWith(element)
                && FhirTypes.choiceType(key.substring(element.length())) != null;
    }

    /** @throws FhirPathException on a syntax error, an unsupported construct, or input beyond the limits */
    public static FhirPath parse(String expression) {
        Objects.requireNonNull(expression, "expression");
        return new FhirPath(expression, Parser.parse(expression));
    }

    /** Evaluates against a resource; a leading type name ({@code Patient.name}) selects on its resourceType. */
    public List<Item> evaluate(JsonNode resource) {
        Objects.requireNonNull(resource, "resource");
        var focus = new Item(resource, Evaluator.inferredType(resource));
        return evaluate(focus, resource);
    }

    /**
     * Evaluates with {@code focus} as the input (and {@code %context}), {@code resource} as {@code %resource}: how a
     * composite SearchParameter's component expressions run against each item of the composite's expression.
     *
     * @throws FhirPathException in the rare case the input breaks a rule of the language, such as {@code where}
     *     criteria that yield several items
     */
    public List<Item> evaluate(Item focus, JsonNode resource) {
        Objects.requireNonNull(focus, "focus");
        Objects.requireNonNull(resource, "resource");
        var root = new Item(resource, Evaluator.inferredType(resource));
        return List.copyOf(new Evaluator(root, focus).evaluate(this.root, List.of(focus)));
    }

    public String expression() {
        return expression;
    }

    /**
     * The element paths this expression reads when evaluated at each of {@code focus} (paths from the resource;
     * {@code List.of(List.of())} for the resource itself): the paths of its results and of whatever its
     * {@code where} criteria, comparisons and tests look at. An over-approximation, for deciding what a search by
     * it reveals.
     */
    public java.util.Set<List<String>> readPaths(List<List<String>> focus) {
        return ReadPaths.of(root, focus);
    }

    @Override
    public String toString() {
        return expression;
    }
}
