package dev.fhirhook.api;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** A response ready to be written: status, headers (besides the standard ones) and the body bytes. */
public record ApiResponse(int status, String contentType, Map<String, String> headers, byte[] body) {

    public static final String FHIR_JSON = "application/fhir+json; charset=utf-8";
    public static final String JSON = "application/json; charset=utf-8";

    public static ApiResponse json(int status, String contentType, byte[] body) {
        return new ApiResponse(status, contentType, new LinkedHashMap<>(), body);
    }

    public static ApiResponse empty(int status) {
        return new ApiResponse(status, null, new LinkedHashMap<>(), new byte[0]);
    }

    public static ApiResponse text(int status, String text) {
        return new ApiResponse(status, "text/plain; charset=utf-8", new LinkedHashMap<>(),
                text.getBytes(StandardCharsets.UTF_8));
    }

    /** Returns this response with one more header; headers is a mutable map owned by the response. */
    public ApiResponse withHeader(String name, String value) {
        headers.put(name, value);
        return this;
    }
}
