package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Objects;

/**
 * A parsed FHIRPath expression, evaluated over Jackson trees: the subset the R4 SearchParameters use (paths,
 * choice elements, {@code |}, {@code where}, {@code exists}, {@code empty}, {@code not}, {@code first}, {@code [n]},
 * {@code as}/{@code ofType}/{@code is}, {@code resolve}, {@code extension('url')}, {@code = != and or},
 * string/number/boolean literals, {@code $this}, {@code %resource}, {@code %rootResource}, {@code %context}).
 * Anything else is rejected by {@link #parse}. Evaluation does no I/O; see {@link TypeSpecifier} for how types are
 * known and matched.
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

    /** @throws FhirPathException on a syntax error, an unsupported construct, or input beyond the limits */
    public static FhirPath parse(String expression) {
        Objects.requireNonNull(expression, "expression");
        return new FhirPath(expression, Parser.parse(expression));
    }

    /** Evaluates against a resource; a leading type name ({@code Patient.name}) selects on its resourceType. */
    public List<Item> evaluate(JsonNode resource) {
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
        var root = new Item(resource, Evaluator.inferredType(resource));
        return List.copyOf(new Evaluator(root, focus).evaluate(this.root, List.of(focus)));
    }

    public String expression() {
        return expression;
    }

    @Override
    public String toString() {
        return expression;
    }
}
