package dev.fhirhook.fhir;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.api.RequestIds;
import dev.fhirhook.fhir.search.SearchApi;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * FHIR interactions called from inside the server (a bot's {@code medplum} client) exactly as the REST API
 * answers them, without a socket: the same validation, scope and policy checks, the same replies. Failures
 * are thrown as {@link ApiException}. Thread-safe.
 */
public final class InProcessFhir {
    private final ResourceApi resources;
    private final SearchApi search;
    private final BundleApi bundles;

    public InProcessFhir(ResourceApi resources, SearchApi search, BundleApi bundles) {
        this.resources = resources;
        this.search = search;
        this.bundles = bundles;
    }

    /** Where a call comes from: its ids, address and the base URL replies refer to. */
    public record Origin(RequestIds ids, String clientIp, String baseUrl) {}

    /**
     * @param url relative to the FHIR base, such as {@code Patient/1}, {@code Invoice?identifier=a|b} or {@code ""}
     *     for a Bundle
     * @param headers extra request headers, lower-case names ({@code if-none-exist}, {@code if-match})
     */
    public ApiResponse call(String method, String url, byte[] body, Map<String, String> headers, Scope scope, Origin origin) {
        int q = url.indexOf('?');
        String path = q < 0 ? url : url.substring(0, q);
        var query = QueryString.parse(q < 0 ? "" : url.substring(q + 1));
        String[] segments = path.isEmpty() ? new String[0] : path.split("/", -1);
        var params = new LinkedHashMap<String, String>();
        if (segments.length > 0) params.put("type", segments[0]);
        if (segments.length > 1) params.put("id", segments[1]);
        if (segments.length == 4) params.put("vid", segments[3]);
        var allHeaders = new LinkedHashMap<String, List<String>>();
        allHeaders.put("content-type", List.of(method.equals("PATCH") ? "application/json-patch+json" : "application/fhir+json"));
        headers.forEach((name, value) -> allHeaders.put(name, List.of(value)));
        var request = new ApiRequest(method, "/fhir/R4/" + path, params, query, allHeaders, body, origin.ids(),
                origin.clientIp(), origin.baseUrl());
        return switch (method + " " + segments.length) {
            case "POST 0" -> bundles.process(request, scope);
            case "POST 1" -> resources.create(request, scope);
            default -> interaction(method, segments, request, scope, resources, search).orElseThrow(() -> notAnInteraction(url));
        };
    }

    /**
     * The REST interaction a method other than POST names on a path of type, id, {@code _history} and version
     * segments, run on the given APIs (a transaction's, for Bundles); empty when the path names none.
     */
    static Optional<ApiResponse> interaction(String method, String[] segments, ApiRequest request, Scope scope,
            ResourceApi api, SearchApi search) {
        if (segments.length == 0 || method.equals("POST")) return Optional.empty();
        boolean history = segments.length >= 2 && segments[segments.length - 1].equals("_history")
                || segments.length == 4 && segments[2].equals("_history");
        return Optional.ofNullable(switch (method) {
            case "PUT" -> segments.length == 1 ? api.conditionalUpdate(request, scope) : api.update(request, scope);
            case "PATCH" -> segments.length == 1 ? api.conditionalPatch(request, scope) : api.patch(request, scope);
            case "DELETE" -> segments.length == 1 ? api.conditionalDelete(request, scope) : api.delete(request, scope);
            default -> { // GET, HEAD
                if (segments.length == 1) yield search.search(request, scope);
                if (segments.length == 2 && segments[1].equals("_history")) yield api.typeHistory(request, scope);
                if (segments.length == 2) yield api.read(request, scope);
                if (segments.length == 3 && history) yield api.instanceHistory(request, scope);
                if (segments.length == 4 && history) yield api.vread(request, scope);
                yield null;
            }
        });
    }

    private static ApiException notAnInteraction(String url) {
        return ApiException.badRequest("fhir.invalid-url", "Not a FHIR interaction URL: " + clip(url));
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
