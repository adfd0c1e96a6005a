package dev.fhirhook.fhir.fhirpath;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The element paths an expression reads, from the resource it is evaluated on: the paths of the items it returns
 * and of every value a {@code where}, comparison or test looks at. An over-approximation by design (a path after
 * {@code resolve()} is taken as if it were on the same resource): it decides what a search by the expression can
 * reveal of a resource.
 */
final class ReadPaths {
    private ReadPaths() {}

    /** What {@code expr}, evaluated with its focus at each of {@code focus}, reads; result paths included. */
    static Set<List<String>> of(Expr expr, List<List<String>> focus) {
        var reads = new LinkedHashSet<List<String>>();
        reads.addAll(at(expr, focus, reads));
        return reads;
    }

    /** The paths of the items {@code expr} returns; what it reads besides goes into {@code reads}. */
    private static List<List<String>> at(Expr expr, List<List<String>> focus, Set<List<String>> reads) {
        return switch (expr) {
            case Expr.Focus f -> focus;
            case Expr.Variable v -> List.of(List.of());
            case Expr.Literal l -> List.of();
            case Expr.Member m -> append(at(m.focus(), focus, reads), m.name());
            case Expr.Index i -> at(i.focus(), focus, reads);
            case Expr.As a -> at(a.focus(), focus, reads);
            case Expr.Resolve r -> at(r.focus(), focus, reads);
            case Expr.Extension e -> append(at(e.focus(), focus, reads), "extension");
            case Expr.Union u -> {
                var out = new ArrayList<List<String>>();
                for (Expr part : u.parts()) out.addAll(at(part, focus, reads));
                yield out;
            }
            case Expr.Where w -> {
                var base = at(w.focus(), focus, reads);
                reads.addAll(at(w.criteria(), base, reads));
                yield base;
            }
            // tests and comparisons return booleans: no element path, but what they look at is read
            case Expr.Exists e -> read(at(e.focus(), focus, reads), reads);
            case Expr.Empty e -> read(at(e.focus(), focus, reads), reads);
            case Expr.Not n -> read(at(n.focus(), focus, reads), reads);
            case Expr.Is i -> read(at(i.focus(), focus, reads), reads);
            case Expr.Equality e -> {
                read(at(e.left(), focus, reads), reads);
                yield read(at(e.right(), focus, reads), reads);
            }
            case Expr.Logic l -> {
                read(at(l.left(), focus, reads), reads);
                yield read(at(l.right(), focus, reads), reads);
            }
        };
    }

    private static List<List<String>> read(List<List<String>> paths, Set<List<String>> reads) {
        reads.addAll(paths);
        return List.of();
    }

    private static List<List<String>> append(List<List<String>> paths, String name) {
        var out = new ArrayList<List<String>>(paths.size());
        for (var path : paths) {
            var longer = new ArrayList<String>(path.size() + 1);
            longer.addAll(path);
            longer.add(name);
            out.add(List.copyOf(longer));
        }
        return out;
    }
}
