package dev.fhirhook.http;

import dev.fhirhook.api.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The route table: finds the route for a method and path; the most specific template wins. Immutable and
 * thread-safe.
 */
final class Router {
    record Match(Route route, Map<String, String> params) {}

    /** The path exists, but not for this method; {@code allowed} lists the methods it has. */
    static final class MethodNotAllowed extends RuntimeException {
        private final List<String> allowed;

        MethodNotAllowed(List<String> allowed) {
            super("method not allowed", null, false, false);
            this.allowed = List.copyOf(allowed);
        }

        List<String> allowed() { return allowed; }
    }

    private final List<Route> routes;

    Router(List<Route> routes) {
        this.routes = List.copyOf(routes);
    }

    /**
     * The matching route. Among the routes whose template fits the path, the most specific ones (most literal
     * segments) decide: {@code /fhir/R4/metadata} is not also {@code /fhir/R4/{type}}. {@link MethodNotAllowed}
     * when they exist for other methods only, 404 when no template fits.
     */
    Match match(String method, String path) {
        List<String> segments = split(path);
        int best = -1;
        var allowed = new ArrayList<String>();
        Match found = null;
        for (Route route : routes) {
            Optional<Map<String, String>> params = bind(route.segments(), segments);
            if (params.isEmpty()) continue;
            int literals = (int) route.segments().stream().filter(t -> !t.startsWith("{")).count();
            if (literals < best) continue;
            if (literals > best) {
                best = literals;
                allowed.clear();
                found = null;
            }
            if (route.method().equals(method) && found == null) found = new Match(route, params.get());
            if (!allowed.contains(route.method())) allowed.add(route.method());
        }
        if (found != null) return found;
        if (!allowed.isEmpty()) throw new MethodNotAllowed(allowed);
        throw ApiException.notFound("http.no-route", "Not found");
    }

    /**
     * Binds a path to a template. A last segment {@code {name*}} takes whatever follows, even nothing
     * ({@code /Bot/{id}/$execute/{rest*}}: Medplum ignores extra path after {@code $execute}).
     */
    private static Optional<Map<String, String>> bind(List<String> template, List<String> path) {
        boolean tail = !template.isEmpty() && template.getLast().endsWith("*}");
        if (tail) {
            if (path.size() < template.size() - 1) return Optional.empty();
            var head = bind(template.subList(0, template.size() - 1), path.subList(0, template.size() - 1));
            head.ifPresent(params -> params.put(template.getLast().substring(1, template.getLast().length() - 2),
                    String.join("/", path.subList(template.size() - 1, path.size()))));
            return head;
        }
        if (template.size() != path.size()) return Optional.empty();
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < template.size(); i++) {
            String t = template.get(i);
            if (t.startsWith("{") && t.endsWith("}")) {
                if (path.get(i).isEmpty()) return Optional.empty();
                params.put(t.substring(1, t.length() - 1), path.get(i));
            } else if (!t.equals(path.get(i))) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }

    static List<String> split(String path) {
        var out = new ArrayList<String>();
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.isEmpty()) return out;
        for (String s : p.split("/", -1)) out.add(s);
        return out;
    }
}
