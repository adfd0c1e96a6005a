package dev.fhirhook.fhir.fhirpath;

import java.util.List;

/**
 * The parsed form of an expression. Immutable; every node evaluates to a collection of items. Nodes that can fail
 * at evaluation time keep the offset ({@code at}) their error is reported at.
 */
sealed interface Expr {
    /** {@code $this}, and the implicit input of a path that starts with a name. */
    record Focus() implements Expr {}

    record Variable(Name name) implements Expr {
        enum Name { RESOURCE, ROOT_RESOURCE, CONTEXT }
    }

    record Literal(FhirPath.Item value) implements Expr {}

    /** {@code focus.name}: child elements, arrays flattened, choice elements {@code name[x]} found by type suffix. */
    record Member(Expr focus, String name) implements Expr {}

    /** {@code focus[index]} and {@code first()}. */
    record Index(Expr focus, int index) implements Expr {}

    /** {@code a | b | c}: the operands in order, duplicates removed. */
    record Union(List<Expr> parts) implements Expr {
        public Union {
            parts = List.copyOf(parts);
        }
    }

    /** {@code =} and {@code !=}. */
    record Equality(Expr left, Expr right, boolean negated) implements Expr {}

    record Logic(Operator operator, Expr left, Expr right, int at) implements Expr {
        enum Operator { AND, OR }
    }

    /** The {@code is} operator and {@code is()} function. */
    record Is(Expr focus, TypeSpecifier type, int at) implements Expr {}

    /** The {@code as} operator, {@code as()}, {@code ofType()} and a leading type name: keeps the items of the type. */
    record As(Expr focus, TypeSpecifier type) implements Expr {}

    record Where(Expr focus, Expr criteria, int at) implements Expr {}

    record Exists(Expr focus) implements Expr {}

    record Empty(Expr focus) implements Expr {}

    record Not(Expr focus, int at) implements Expr {}

    record Resolve(Expr focus) implements Expr {}

    /** {@code extension('url')}. */
    record Extension(Expr focus, String url) implements Expr {}

    /** Height of the tree; the parser caps it so evaluation recursion stays shallow. */
    static int depth(Expr expr) {
        return 1 + switch (expr) {
            case Focus f -> 0;
            case Variable v -> 0;
            case Literal l -> 0;
            case Member m -> depth(m.focus());
            case Index i -> depth(i.focus());
            case Union u -> u.parts().stream().mapToInt(Expr::depth).max().orElse(0);
            case Equality e -> Math.max(depth(e.left()), depth(e.right()));
            case Logic l -> Math.max(depth(l.left()), depth(l.right()));
            case Is i -> depth(i.focus());
            case As a -> depth(a.focus());
            case Where w -> Math.max(depth(w.focus()), depth(w.criteria()));
            case Exists e -> depth(e.focus());
            case Empty e -> depth(e.focus());
            case Not n -> depth(n.focus());
            case Resolve r -> depth(r.focus());
            case Extension e -> depth(e.focus());
        };
    }
}
