package dev.fhirhook.fhir.search;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParamType;
import dev.fhirhook.fhir.definitions.SearchParameters;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses search parameters into a {@link SearchQuery}, validating every name, modifier, prefix and value.
 * Anything it cannot honour is a 400 naming the parameter, unless the search is lenient, in which case
 * unknown parameters are skipped and listed in {@link SearchQuery#ignored()}. Pure and thread-safe.
 */
public final class SearchParser {
    /** More criteria than this in one search is abuse, not a query. */
    static final int MAX_CRITERIA = 100;
    static final int MAX_VALUES = 100;
    private static final Set<String> PREFIXES = Set.of("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap");
    private static final Set<String> IGNORED_RESULT_PARAMS = Set.of("_format", "_pretty");

    private final SearchParameters parameters;
    private final ResourceTypes types;

    public SearchParser(SearchParameters parameters, ResourceTypes types) {
        this.parameters = parameters;
        this.types = types;
    }

    public SearchQuery parse(String type, Map<String, List<String>> query, boolean lenient) {
        var criteria = new ArrayList<SearchQuery.Criterion>();
        var ignored = new ArrayList<String>();
        List<SearchQuery.SortKey> sort = List.of();
        int count = SearchQuery.DEFAULT_COUNT;
        int offset = 0;
        java.util.Optional<SearchQuery.Cursor> cursor = java.util.Optional.empty();
        var total = SearchQuery.Total.NONE;
        var summary = SearchQuery.Summary.NONE;
        List<String> elements = List.of();
        var includes = new ArrayList<SearchQuery.Include>();
        var revIncludes = new ArrayList<SearchQuery.Include>();
        for (var entry : query.entrySet()) {
            String name = entry.getKey();
            List<String> values = entry.getValue();
            switch (name) {
                case "_count" -> count = intValue(name, single(name, values), 0, SearchQuery.MAX_COUNT);
                case "_offset" -> offset = intValue(name, single(name, values), 0, 10_000);
                case "_cursor" -> {
                    String value = single(name, values);
                    cursor = java.util.Optional.of(SearchQuery.Cursor.decode(value).orElseThrow(() ->
                            invalid(name, "not a cursor this server wrote; follow the Bundle's next link")));
                }
                case "_sort" -> sort = sort(type, single(name, values));
                case "_total" -> total = switch (single(name, values)) {
                    case "none" -> SearchQuery.Total.NONE;
                    case "accurate", "estimate" -> SearchQuery.Total.ACCURATE;
                    default -> throw invalid(name, "must be none, estimate or accurate");
                };
                case "_summary" -> summary = switch (single(name, values)) {
                    case "count" -> SearchQuery.Summary.COUNT;
                    case "true" -> SearchQuery.Summary.TRUE;
                    case "data" -> SearchQuery.Summary.DATA;
                    case "false" -> SearchQuery.Summary.NONE;
                    default -> throw invalid(name, "must be true, false, count or data");
                };
                case "_elements" -> elements = elements(single(name, values));
                case "_include", "_include:iterate" -> values.forEach(v -> includes.add(include(name, v, name.endsWith(":iterate"))));
                case "_revinclude", "_revinclude:iterate" -> values.forEach(v -> revIncludes.add(include(name, v, name.endsWith(":iterate"))));
                default -> {
                    if (IGNORED_RESULT_PARAMS.contains(name)) continue;
                    for (String value : values) {
                        if (value.indexOf(0) >= 0) throw invalid(name, "the NUL character is not allowed in a value");
                        try {
                            criteria.add(criterion(type, name, value, 0));
                        } catch (UnknownParameter e) {
                            if (!lenient) throw invalid(name, e.getMessage());
                            if (!ignored.contains(name)) ignored.add(name);
                        }
                    }
                }
            }
            if (criteria.size() > MAX_CRITERIA) {
                throw ApiException.badRequest("search.too-many-criteria", "Too many search criteria (at most "
                        + MAX_CRITERIA + "), the last at parameter " + bounded(name)).at(bounded(name));
            }
        }
        if (cursor.isPresent() && (!sort.isEmpty() || offset > 0)) {
            throw invalid("_cursor", "cannot be combined with _sort or _offset");
        }
        return new SearchQuery(type, List.copyOf(criteria), sort, count, offset, cursor, total, summary, elements,
                List.copyOf(includes), List.copyOf(revIncludes), List.copyOf(ignored));
    }

    /**
     * Whether every name is a search criterion rather than a result parameter ({@code _count}, {@code _sort},
     * {@code _include}, ...): conditional interactions and AccessPolicy criteria select resources, they do not
     * shape a result.
     */
    public static boolean onlyCriteria(java.util.Collection<String> names) {
        return names.stream().allMatch(k -> !k.startsWith("_") || k.equals("_id") || k.equals("_lastUpdated")
                || k.startsWith("_has:") || k.equals("_tag") || k.equals("_profile") || k.equals("_security")
                || k.equals("_source"));
    }

    /** An unknown name: an error, or skipped when the search is lenient. */
    private static final class UnknownParameter extends Exception {
        UnknownParameter(String message) { super(message, null, false, false); }
    }

    private SearchQuery.Criterion criterion(String type, String name, String value, int depth) throws UnknownParameter {
        if (name.startsWith("_has:")) return has(type, name, value, depth);
        int dot = name.indexOf('.');
        String head = dot < 0 ? name : name.substring(0, dot);
        int colon = head.indexOf(':');
        String code = colon < 0 ? head : head.substring(0, colon);
        String modifier = colon < 0 ? null : head.substring(colon + 1);
        SearchParam param = parameters.find(type, code).orElseThrow(() ->
                new UnknownParameter("Unknown search parameter: " + bounded(code) + " for " + type));
        if (dot >= 0) return chain(type, param, modifier, name.substring(dot + 1), name, value, depth);
        if (code.equals("_id") || code.equals("_lastUpdated")) {
            if (modifier != null && !(code.equals("_id") && modifier.equals("not"))) throw invalid(name, "modifier :" + bounded(modifier) + " is not supported on " + code);
            var values = splitValues(name, value);
            for (String v : values) {
                if (code.equals("_lastUpdated")) dateValue(name, v);
            }
            return new SearchQuery.Column(code, modifier, values);
        }
        if (param.expression().isEmpty()) {
            throw invalid(name, "search by " + code + " is not supported"); // _text, _content, _query: never silently empty
        }
        checkModifier(name, param, modifier);
        var values = "missing".equals(modifier) ? List.of(bool(name, value)) : splitValues(name, value);
        if (!"missing".equals(modifier)) {
            for (String v : values) checkValue(name, param, modifier, v);
        }
        return new SearchQuery.Match(param, modifier, values);
    }

    private SearchQuery.Criterion chain(String type, SearchParam param, String modifier, String rest, String name, String value,
            int depth) throws UnknownParameter {
        if (param.type() != SearchParamType.REFERENCE) throw invalid(name, "only reference parameters can be chained");
        if (depth > 0 || rest.contains(".")) throw invalid(name, "chains are supported one level deep");
        String target;
        if (modifier != null) {
            if (!types.known(modifier)) throw invalid(name, "unknown resource type " + bounded(modifier));
            target = modifier;
        } else if (param.targets().size() == 1) {
            target = param.targets().getFirst();
        } else {
            throw invalid(name, "the reference can point to several types; name one, as in " + param.code() + ":Patient." + bounded(rest));
        }
        if (!param.targets().isEmpty() && !param.targets().contains(target)) {
            throw invalid(name, param.code() + " cannot refer to " + target);
        }
        return new SearchQuery.Chain(param, target, criterion(target, rest, value, depth + 1));
    }

    private SearchQuery.Criterion has(String type, String name, String value, int depth) throws UnknownParameter {
        if (depth > 0) throw invalid(name, "_has cannot be nested");
        String[] parts = name.split(":", 4);
        if (parts.length != 4 || parts[1].isEmpty() || parts[2].isEmpty() || parts[3].isEmpty()) {
            throw invalid(bounded(name), "expected _has:Type:reference:parameter");
        }
        if (!types.known(parts[1])) throw invalid(bounded(name), "unknown resource type " + bounded(parts[1]));
        SearchParam reference = parameters.find(parts[1], parts[2]).orElseThrow(() ->
                new UnknownParameter("Unknown search parameter: " + bounded(parts[2]) + " for " + parts[1]));
        if (reference.type() != SearchParamType.REFERENCE) throw invalid(bounded(name), parts[2] + " is not a reference parameter");
        if (!reference.targets().isEmpty() && !reference.targets().contains(type)) {
            throw invalid(bounded(name), parts[1] + "." + parts[2] + " cannot refer to " + type);
        }
        return new SearchQuery.Has(parts[1], reference, criterion(parts[1], parts[3], value, depth + 1));
    }

    private static void checkModifier(String name, SearchParam param, String modifier) {
        if (modifier == null || modifier.equals("missing")) return;
        boolean allowed = switch (param.type()) {
            case TOKEN -> Set.of("not", "text", "of-type").contains(modifier);
            case STRING -> Set.of("exact", "contains").contains(modifier);
            case REFERENCE -> modifier.equals("identifier") || Character.isUpperCase(modifier.charAt(0));
            case URI -> Set.of("above", "below").contains(modifier);
            case DATE, NUMBER, QUANTITY, COMPOSITE, SPECIAL -> false; // :missing only
        };
        if (!allowed) {
            throw invalid(name, "modifier :" + bounded(modifier) + " is not supported for " + param.type().code() + " parameters");
        }
    }

    private void checkValue(String name, SearchParam param, String modifier, String value) {
        switch (param.type()) {
            case DATE -> dateValue(name, value);
            case NUMBER -> numberValue(name, prefixed(value).value());
            case QUANTITY -> {
                var parts = splitEscaped(prefixed(value).value(), '|');
                if (parts.size() > 3) throw invalid(name, "a quantity is number|system|code");
                numberValue(name, parts.getFirst());
            }
            case TOKEN -> {
                if ("of-type".equals(modifier) && splitEscaped(value, '|').size() != 3) {
                    throw invalid(name, ":of-type takes system|code|value");
                }
                if (!"of-type".equals(modifier) && !"text".equals(modifier) && splitEscaped(value, '|').size() > 2) {
                    throw invalid(name, "a token is code, system|code, |code or system|");
                }
            }
            case REFERENCE -> {
                if (modifier != null && Character.isUpperCase(modifier.charAt(0)) && !types.known(modifier)) {
                    throw invalid(name, "unknown resource type " + bounded(modifier));
                }
            }
            case COMPOSITE -> {
                var parts = splitEscaped(value, '$');
                if (parts.size() != param.components().size()) {
                    throw invalid(name, "a value of this composite has " + param.components().size() + " parts joined by $");
                }
                for (int i = 0; i < parts.size(); i++) checkValue(name, component(param, i), null, parts.get(i));
            }
            case SPECIAL -> throw invalid(name, param.type().code() + " parameters are not supported");
            case STRING, URI -> { }
        }
    }

    /** Component {@code i} of a composite, as a parameter of its own type named {@code code$i}. */
    static SearchParam component(SearchParam composite, int i) {
        var c = composite.components().get(i);
        return new SearchParam(composite.code() + "$" + i, c.type(), composite.url(), java.util.Optional.of(c.expression()),
                List.of(), List.of());
    }

    /** A value with its comparison prefix; {@code eq} when none is given. */
    record Prefixed(String prefix, String value) {}

    static Prefixed prefixed(String value) {
        if (value.length() > 2 && PREFIXES.contains(value.substring(0, 2)) && !Character.isLetter(value.charAt(2))) {
            return new Prefixed(value.substring(0, 2), value.substring(2));
        }
        return new Prefixed("eq", value);
    }

    static DateRange dateValue(String name, String value) {
        var p = prefixed(value);
        if (p.value().length() >= 2 && Character.isLetter(p.value().charAt(0)) && Character.isLetter(p.value().charAt(1))) {
            throw invalid(name, "unknown prefix in '" + bounded(value) + "' (use eq, ne, gt, lt, ge, le, sa, eb or ap)");
        }
        return DateRange.parse(p.value()).orElseThrow(() ->
                invalid(name, "'" + bounded(value) + "' is not a date such as 2024, 2024-05-06 or 2024-05-06T10:00:00Z"));
    }

    static java.math.BigDecimal numberValue(String name, String value) {
        if (value.length() > 40 || !value.matches("[+-]?\\d+(\\.\\d+)?([eE][+-]?\\d{1,3})?")) {
            throw invalid(name, "'" + bounded(value) + "' is not a number");
        }
        return new java.math.BigDecimal(value);
    }

    private List<SearchQuery.SortKey> sort(String type, String value) {
        var keys = new ArrayList<SearchQuery.SortKey>();
        for (String raw : value.split(",")) {
            String key = raw.strip();
            boolean desc = key.startsWith("-");
            String code = desc ? key.substring(1) : key;
            if (code.isEmpty()) throw invalid("_sort", "empty sort key");
            SearchParam param = parameters.find(type, code).orElseThrow(() ->
                    invalid("_sort", "unknown search parameter " + bounded(code) + " for " + type));
            if (param.type() == SearchParamType.COMPOSITE || param.type() == SearchParamType.SPECIAL) {
                throw invalid("_sort", "cannot sort by " + param.type().code() + " parameter " + code);
            }
            keys.add(new SearchQuery.SortKey(code, param, desc));
            if (keys.size() > 5) throw invalid("_sort", "at most 5 sort keys");
        }
        return List.copyOf(keys);
    }

    private List<String> elements(String value) {
        var list = new ArrayList<String>();
        for (String e : value.split(",")) {
            String name = e.strip();
            if (!name.matches("[A-Za-z][A-Za-z0-9]{0,63}")) throw invalid("_elements", "'" + bounded(name) + "' is not an element name");
            list.add(name);
        }
        return List.copyOf(list);
    }

    private SearchQuery.Include include(String name, String value, boolean iterate) {
        String[] parts = value.split(":");
        if (parts.length < 2 || parts.length > 3) throw invalid(name, "expected Type:parameter or Type:parameter:TargetType");
        if (!types.known(parts[0])) throw invalid(name, "unknown resource type " + bounded(parts[0]));
        SearchParam param = parameters.find(parts[0], parts[1]).orElseThrow(() ->
                invalid(name, "unknown search parameter " + bounded(parts[1]) + " for " + parts[0]));
        if (param.type() != SearchParamType.REFERENCE) throw invalid(name, parts[1] + " is not a reference parameter");
        String target = parts.length == 3 ? parts[2] : null;
        if (target != null && !types.known(target)) throw invalid(name, "unknown resource type " + bounded(target));
        return new SearchQuery.Include(parts[0], param, target, iterate);
    }

    private static String single(String name, List<String> values) {
        if (values.size() != 1) throw invalid(name, "may be given only once");
        return values.getFirst();
    }

    private static int intValue(String name, String value, int min, int max) {
        try {
            int n = Integer.parseInt(value);
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw invalid(name, "must be a whole number from " + min + " to " + max);
    }

    private static String bool(String name, String value) {
        if (!value.equals("true") && !value.equals("false")) throw invalid(name, ":missing takes true or false");
        return value;
    }

    private static List<String> splitValues(String name, String value) {
        if (value.isEmpty()) throw invalid(name, "a value is required");
        var values = splitEscaped(value, ',');
        if (values.size() > MAX_VALUES) throw invalid(name, "at most " + MAX_VALUES + " values");
        for (String v : values) {
            if (v.isEmpty()) throw invalid(name, "empty value in a list");
        }
        return values;
    }

    /** Splits on unescaped {@code sep}; the parts keep their escapes (see {@link #unescape}). */
    static List<String> splitEscaped(String value, char sep) {
        var parts = new ArrayList<String>();
        var current = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) {
                current.append(c).append(value.charAt(++i));
            } else if (c == sep) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        parts.add(current.toString());
        return parts;
    }

    /** Removes FHIR search escapes: {@code \, \| \$ \\}. */
    static String unescape(String value) {
        if (value.indexOf('\\') < 0) return value;
        var out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' && i + 1 < value.length()) c = value.charAt(++i);
            out.append(c);
        }
        return out.toString();
    }

    static ApiException invalid(String name, String why) {
        return ApiException.badRequest("search.invalid-parameter", "Invalid search parameter " + bounded(name) + ": " + why)
                .at(bounded(name));
    }

    static String bounded(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
