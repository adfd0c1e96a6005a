package dev.fhirhook.fhir.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.fhirhook.testing.Api;
import dev.fhirhook.testing.TestProject;
import dev.fhirhook.testing.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A fresh project's client with the shorthands the search tests share: create, search, ids of the matches. */
record FhirClient(TestProject project) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static FhirClient inNewProject() {
        return new FhirClient(TestServer.get().newProject());
    }

    Api api() {
        return project.api();
    }

    static String baseUrl() {
        return TestServer.get().baseUrl();
    }

    /** Creates {@code json} (which names its resourceType) and answers the stored resource. */
    JsonNode createJson(String json) {
        var reply = api().post("/fhir/R4/" + typeOf(json), json);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(201);
        return reply.json();
    }

    /** Creates {@code json} and answers its id. */
    String create(String json) {
        return createJson(json).get("id").asText();
    }

    /** {@code name=value} pairs, URL-encoded, joined by {@code &}. */
    static String query(String... pairs) {
        assertThat(pairs.length % 2).as("name/value pairs").isZero();
        var out = new StringBuilder();
        for (int i = 0; i < pairs.length; i += 2) {
            if (!out.isEmpty()) out.append('&');
            out.append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
        }
        return out.toString();
    }

    Api.Reply search(String type, String... pairs) {
        return api().get("/fhir/R4/" + type + "?" + query(pairs));
    }

    /** The ids of the matches, in the order of the Bundle; the search must answer 200. */
    List<String> ids(String type, String... pairs) {
        var reply = search(type, pairs);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return matchIds(reply.json());
    }

    static List<String> matchIds(JsonNode bundle) {
        return entries(bundle, "match").stream().map(r -> r.path("id").asText()).toList();
    }

    /** {@code Type/id} of the entries with search mode {@code include}. */
    static List<String> included(JsonNode bundle) {
        return entries(bundle, "include").stream()
                .map(r -> r.path("resourceType").asText() + "/" + r.path("id").asText()).toList();
    }

    static List<JsonNode> entries(JsonNode bundle, String mode) {
        assertThat(bundle.path("resourceType").asText()).isEqualTo("Bundle");
        var out = new ArrayList<JsonNode>();
        for (JsonNode entry : bundle.path("entry")) {
            if (entry.path("search").path("mode").asText().equals(mode)) out.add(entry.path("resource"));
        }
        return out;
    }

    /** The URL of a Bundle link, or null. */
    static String link(JsonNode bundle, String relation) {
        for (JsonNode link : bundle.path("link")) {
            if (link.path("relation").asText().equals(relation)) return link.path("url").asText();
        }
        return null;
    }

    /** An absolute URL of this server as the path {@link Api} takes. */
    static String relative(String absolute) {
        assertThat(absolute).startsWith(baseUrl());
        return "/" + absolute.substring(baseUrl().length());
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String typeOf(String json) {
        return parse(json).path("resourceType").asText();
    }
}
