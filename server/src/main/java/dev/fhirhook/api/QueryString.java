package dev.fhirhook.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses {@code a=1&b=2&a=3} (URL query, form body, {@code If-None-Exist}) into names and their values, in order. */
public final class QueryString {
    /** More parameters than this is abuse, not a request. */
    public static final int MAX_PARAMS = 1000;

    private QueryString() {}

    public static Map<String, List<String>> parse(String raw) {
        if (raw == null || raw.isEmpty()) return Map.of();
        Map<String, List<String>> params = new LinkedHashMap<>();
        int count = 0;
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) continue;
            if (++count > MAX_PARAMS) {
                throw ApiException.badRequest("http.too-many-parameters", "Too many query parameters (at most " + MAX_PARAMS + ")");
            }
            int eq = pair.indexOf('=');
            String name = decode(eq < 0 ? pair : pair.substring(0, eq));
            String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
            params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        params.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(params);
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("http.invalid-query", "Invalid query string: bad percent-encoding");
        }
    }
}
