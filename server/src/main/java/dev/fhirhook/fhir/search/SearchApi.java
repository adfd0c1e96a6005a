package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.fhir.AdminRules;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.Scope;
import dev.fhirhook.fhir.definitions.SummaryElements;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The search interaction: {@code GET /fhir/R4/{type}?...} and {@code POST /fhir/R4/{type}/_search} with a
 * form body. Answers a {@code searchset} Bundle with self/first/next/previous links. Thread-safe.
 */
public final class SearchApi {
    private static final Set<String> ALWAYS_KEPT = Set.of("resourceType", "id", "meta");

    private final SearchParser parser;
    private final SearchEngine engine;
    private final ResourceTypes types;
    private final SummaryElements summaries;

    public SearchApi(SearchParser parser, SearchEngine engine, ResourceTypes types, SummaryElements summaries) {
        this.parser = parser;
        this.engine = engine;
        this.types = types;
        this.summaries = summaries;
    }

    /** The same API reading through {@code tx} (transaction Bundles). */
    public SearchApi on(dev.fhirhook.db.Jdbc tx) {
        return new SearchApi(parser, engine.on(tx), types, summaries);
    }

    public ApiResponse search(ApiRequest request, Scope scope) {
        return run(request, scope, request.query());
    }

    public ApiResponse searchPost(ApiRequest request, Scope scope) {
        if (!request.mediaType().equals("application/x-www-form-urlencoded")) throw ApiException.unsupportedMediaType();
        var params = new LinkedHashMap<String, List<String>>();
        request.query().forEach((k, v) -> params.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        QueryString.parse(new String(request.body(), StandardCharsets.UTF_8)).forEach((k, v) -> params.computeIfAbsent(k, x -> new ArrayList<>()).addAll(v));
        return run(request, scope, params);
    }

    private ApiResponse run(ApiRequest request, Scope scope, Map<String, List<String>> params) {
        String type = types.require(request.pathParam("type"));
        AdminRules.checkAccess(scope, type);
        engine.checkAccess(scope, type);
        boolean lenient = request.header("prefer").map(p -> p.contains("handling=lenient")).orElse(false);
        var query = parser.parse(type, params, lenient);
        var result = engine.search(query, scope, request.baseUrl());
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, FhirJson.bytes(bundle(request, query, params, result)));
    }

    private ObjectNode bundle(ApiRequest request, SearchQuery query, Map<String, List<String>> params, SearchEngine.Result result) {
        var bundle = FhirJson.mapper().createObjectNode();
        bundle.put("resourceType", "Bundle");
        bundle.put("type", "searchset");
        result.total().ifPresent(t -> bundle.put("total", t));
        String base = request.baseUrl() + "fhir/R4/" + query.type();
        var links = bundle.putArray("link");
        links.addObject().put("relation", "self").put("url", pageUrl(base, params, query.count(), query.offset(),
                query.cursor().map(SearchQuery.Cursor::encode).orElse(null)));
        if (query.summary() != SearchQuery.Summary.COUNT) {
            links.addObject().put("relation", "first").put("url", pageUrl(base, params, query.count(), 0, null));
            if (result.more()) {
                links.addObject().put("relation", "next").put("url", nextUrl(base, params, query, result));
            }
            if (query.offset() > 0) {
                links.addObject().put("relation", "previous")
                        .put("url", pageUrl(base, params, query.count(), Math.max(0, query.offset() - query.count()), null));
            }
        }
        var entries = bundle.putArray("entry");
        for (var resource : result.matches()) entry(entries.addObject(), request, query, resource, "match");
        for (var resource : result.included()) entry(entries.addObject(), request, query, resource, "include");
        if (!query.ignored().isEmpty()) {
            var outcome = FhirJson.mapper().createObjectNode();
            outcome.put("resourceType", "OperationOutcome");
            var issue = outcome.putArray("issue").addObject();
            issue.put("severity", "warning").put("code", "not-supported");
            issue.putObject("details").put("text", "Ignored unknown search parameters: " + String.join(", ", query.ignored()));
            var expression = issue.putArray("expression");
            query.ignored().forEach(expression::add);
            var entry = entries.addObject();
            entry.set("resource", outcome);
            entry.putObject("search").put("mode", "outcome");
        }
        if (entries.isEmpty()) bundle.remove("entry");
        return bundle;
    }

    private void entry(ObjectNode entry, ApiRequest request, SearchQuery query, ObjectNode resource, String mode) {
        String type = resource.path("resourceType").asText();
        entry.put("fullUrl", request.baseUrl() + "fhir/R4/" + type + "/" + resource.path("id").asText());
        entry.set("resource", shape(query, resource));
        entry.putObject("search").put("mode", mode);
    }

    /** Applies {@code _elements} and {@code _summary}; a reduced resource is tagged SUBSETTED. */
    private ObjectNode shape(SearchQuery query, ObjectNode resource) {
        Set<String> keep = null;
        if (!query.elements().isEmpty()) {
            keep = Set.copyOf(query.elements());
        } else if (query.summary() == SearchQuery.Summary.TRUE) {
            keep = summaries.of(resource.path("resourceType").asText()).orElse(null);
        }
        if (keep == null && query.summary() != SearchQuery.Summary.DATA) return resource;
        var out = resource.deepCopy();
        var names = new ArrayList<String>();
        out.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            if (ALWAYS_KEPT.contains(name)) continue;
            boolean drop = query.summary() == SearchQuery.Summary.DATA ? name.equals("text") : !kept(keep, name);
            if (drop) out.remove(name);
        }
        var meta = out.has("meta") && out.get("meta").isObject() ? (ObjectNode) out.get("meta") : out.putObject("meta");
        meta.withArray("tag").addObject().put("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue")
                .put("code", "SUBSETTED");
        return out;
    }

    private static boolean kept(Set<String> keep, String name) {
        if (keep.contains(name)) return true;
        // choice elements: valueQuantity is kept when "value" is
        for (int i = 1; i < name.length(); i++) {
            if (Character.isUpperCase(name.charAt(i)) && keep.contains(name.substring(0, i))) return true;
        }
        return false;
    }

    /**
     * In the default order the next page continues from the last match (a cursor), which stays right while
     * resources are written between pages; with an explicit {@code _sort} or {@code _offset} it is an offset.
     */
    private static String nextUrl(String base, Map<String, List<String>> params, SearchQuery query, SearchEngine.Result result) {
        if (query.sort().isEmpty() && query.offset() == 0) {
            var last = result.matches().getLast();
            var lastUpdated = dev.fhirhook.fhir.Instants.parse(last.path("meta").path("lastUpdated").asText());
            if (lastUpdated.isPresent()) {
                String cursor = new SearchQuery.Cursor(lastUpdated.get(), last.path("id").asText()).encode();
                return pageUrl(base, params, query.count(), 0, cursor);
            }
        }
        return pageUrl(base, params, query.count(), query.offset() + query.count(), null);
    }

    private static String pageUrl(String base, Map<String, List<String>> params, int count, int offset, String cursor) {
        var url = new StringBuilder(base).append('?');
        params.forEach((name, values) -> {
            if (name.equals("_count") || name.equals("_offset") || name.equals("_cursor")) return;
            for (String v : values) {
                url.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&');
            }
        });
        url.append("_count=").append(count);
        if (cursor != null) url.append("&_cursor=").append(cursor);
        else url.append("&_offset=").append(offset);
        return url.toString();
    }

}
