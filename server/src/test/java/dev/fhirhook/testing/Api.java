package dev.fhirhook.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;

/** A small HTTP client for tests: relative paths, optional Basic credentials, replies with parsed JSON. */
public final class Api {
    public static final String FHIR_JSON = "application/fhir+json";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final String authorization;

    public Api(String baseUrl, String user, String secret) {
        this(baseUrl, user == null ? null : "Basic " + Base64.getEncoder()
                .encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8)));
    }

    private Api(String baseUrl, String authorization) {
        this.baseUrl = baseUrl;
        this.authorization = authorization;
    }

    /** A client that sends {@code Authorization: Bearer <token>}. */
    public static Api bearer(String baseUrl, String token) {
        return new Api(baseUrl, "Bearer " + token);
    }

    /** One HTTP response. */
    public record Reply(int status, java.net.http.HttpHeaders headers, byte[] bytes) {
        public String body() { return new String(bytes, StandardCharsets.UTF_8); }

        public JsonNode json() {
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + body(), e);
            }
        }

        public String header(String name) { return headers.firstValue(name).orElse(null); }

        /** {@code issue[0].details.text} of an OperationOutcome body. */
        public String outcomeText() { return json().path("issue").path(0).path("details").path("text").asText(); }

        /** The stable fhirhook error code of an OperationOutcome body. */
        public String errorCode() {
            return json().path("issue").path(0).path("details").path("coding").path(0).path("code").asText();
        }

        @Override
        public String toString() { return status + " " + body(); }
    }

    public HttpRequest.Builder request(String path) {
        var builder = HttpRequest.newBuilder(URI.create(baseUrl + (path.startsWith("/") ? path.substring(1) : path)))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) builder.header("Authorization", authorization);
        return builder;
    }

    public Reply send(HttpRequest.Builder request) {
        try {
            var response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(response.statusCode(), response.headers(), response.body());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public Reply get(String path) {
        return send(request(path).GET());
    }

    public Reply delete(String path) {
        return send(request(path).DELETE());
    }

    public Reply post(String path, String json) {
        return send(request(path).header("Content-Type", FHIR_JSON).POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Reply put(String path, String json) {
        return send(request(path).header("Content-Type", FHIR_JSON).PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    public Reply patch(String path, String jsonPatch) {
        return send(request(path).header("Content-Type", "application/json-patch+json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(jsonPatch)));
    }

    /** Any method, content type and raw bytes. */
    public Reply raw(String method, String path, String contentType, byte[] body) {
        var builder = request(path).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) builder.header("Content-Type", contentType);
        return send(builder);
    }
}
