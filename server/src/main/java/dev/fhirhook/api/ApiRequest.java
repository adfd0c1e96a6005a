package dev.fhirhook.api;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One HTTP request as the feature packages see it, free of any web-framework type. Header names are
 * lower-case. {@code body} holds the exact bytes received (already bounded by the server's body limit).
 *
 * @param path decoded path without the query, such as {@code /fhir/R4/Patient/123}
 * @param pathParams values of the {@code {name}} segments of the matched route
 * @param query decoded query parameters in order; a repeated name keeps every value
 */
public record ApiRequest(
        String method,
        String path,
        Map<String, String> pathParams,
        Map<String, List<String>> query,
        Map<String, List<String>> headers,
        byte[] body,
        RequestIds ids,
        String clientIp,
        String baseUrl) {

    public Optional<String> header(String name) {
        var values = headers.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    public Optional<String> queryParam(String name) {
        var values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    public String pathParam(String name) {
        var value = pathParams.get(name);
        if (value == null) throw new IllegalStateException("route has no path parameter " + name);
        return value;
    }

    /** The media type of the body without parameters, lower-case, or empty when absent. */
    public String mediaType() {
        return header("content-type").map(ApiRequest::bareMediaType).orElse("");
    }

    public ApiRequest withPathParams(Map<String, String> params) {
        return new ApiRequest(method, path, params, query, headers, body, ids, clientIp, baseUrl);
    }

    static String bareMediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(java.util.Locale.ROOT);
    }
}
