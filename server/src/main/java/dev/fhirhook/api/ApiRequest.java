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

    /**
     * Refuses (415) a body whose media type is not one of {@code allowed} (or, with {@code anyJson}, some
     * {@code application/*+json}), or whose charset is not UTF-8: JSON bodies are always read as UTF-8.
     */
    public void requireMediaType(java.util.Set<String> allowed, boolean anyJson) {
        String type = mediaType();
        boolean known = allowed.contains(type) || (anyJson && type.startsWith("application/") && type.endsWith("+json"));
        if (!known) throw ApiException.unsupportedMediaType();
        String contentType = header("content-type").orElse("");
        for (String param : contentType.split(";")) {
            String p = param.strip().toLowerCase(java.util.Locale.ROOT);
            if (!p.startsWith("charset=")) continue;
            String charset = p.substring("charset=".length()).replace("\"", "");
            if (!charset.equals("utf-8") && !charset.equals("utf8")) throw ApiException.unsupportedMediaType();
        }
    }

    public ApiRequest withBody(byte[] bytes) {
        return new ApiRequest(method, path, pathParams, query, headers, bytes, ids, clientIp, baseUrl);
    }

    static String bareMediaType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(java.util.Locale.ROOT);
    }
}
