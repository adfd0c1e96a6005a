package dev.fhirhook.fhir.definitions;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every search parameter the server knows, by resource type and code: the official R4 definitions read as
 * data from {@code hapi-fhir-validation-resources-r4}, plus fhirhook's definitions for Medplum's admin types.
 * Parameters on {@code Resource} and {@code DomainResource} apply to every type. Immutable and thread-safe.
 */
public final class SearchParameters {
    static final String R4_DEFINITIONS = "/org/hl7/fhir/r4/model/sp/search-parameters.json";
    static final String ADMIN_DEFINITIONS = "/fhir/admin-search-parameters.json";

    private final Map<String, Map<String, SearchParam>> byType;

    private SearchParameters(Map<String, Map<String, SearchParam>> byType) {
        this.byType = byType;
    }

    public static SearchParameters load(ResourceTypes types) {
        var common = new LinkedHashMap<String, JsonNode>();
        var specific = new LinkedHashMap<String, Map<String, JsonNode>>();
        var byUrl = new LinkedHashMap<String, JsonNode>();
        for (String file : List.of(R4_DEFINITIONS, ADMIN_DEFINITIONS)) {
            for (JsonNode entry : read(file).path("entry")) {
                JsonNode sp = entry.path("resource");
                byUrl.put(sp.path("url").asText(), sp);
                for (JsonNode base : sp.path("base")) {
                    String type = base.asText();
                    if (type.equals("Resource") || type.equals("DomainResource")) {
                        common.put(sp.path("code").asText(), sp);
                    } else {
                        specific.computeIfAbsent(type, k -> new LinkedHashMap<>()).put(sp.path("code").asText(), sp);
                    }
                }
            }
        }
        var byType = new LinkedHashMap<String, Map<String, SearchParam>>();
        var parsed = new LinkedHashMap<String, Optional<FhirPath>>(); // one parse per distinct expression
        for (String type : types.all()) {
            var params = new LinkedHashMap<String, SearchParam>();
            common.forEach((code, sp) -> params.put(code, toParam(sp, parsed, byUrl)));
            specific.getOrDefault(type, Map.of()).forEach((code, sp) -> params.put(code, toParam(sp, parsed, byUrl)));
            byType.put(type, Collections.unmodifiableMap(params));
        }
        return new SearchParameters(Collections.unmodifiableMap(byType));
    }

    /** The parameter {@code code} of {@code type}, if defined. */
    public Optional<SearchParam> find(String type, String code) {
        return Optional.ofNullable(byType.getOrDefault(type, Map.of()).get(code));
    }

    /** Every parameter of the type, common ones included. */
    public Iterable<SearchParam> of(String type) {
        return byType.getOrDefault(type, Map.of()).values();
    }

    private static SearchParam toParam(JsonNode sp, Map<String, Optional<FhirPath>> parsed, Map<String, JsonNode> byUrl) {
        String code = sp.path("code").asText();
        String expression = sp.path("expression").asText("");
        Optional<FhirPath> path;
        path = switch (code) {
            case "_id", "_lastUpdated" -> Optional.empty(); // served from the resource table's columns
            default -> expression.isEmpty() ? Optional.empty()
                    : parsed.computeIfAbsent(expression, e -> Optional.of(FhirPath.parse(e)));
        };
        var targets = new ArrayList<String>();
        sp.path("target").forEach(t -> targets.add(t.asText()));
        var components = new ArrayList<SearchParam.Component>();
        for (JsonNode component : sp.path("component")) {
            JsonNode definition = byUrl.get(component.path("definition").asText());
            String expression2 = component.path("expression").asText("");
            if (definition == null || expression2.isEmpty()) {
                components.clear(); // a component we cannot index makes the whole composite unsearchable
                path = Optional.empty();
                break;
            }
            components.add(new SearchParam.Component(SearchParamType.of(definition.path("type").asText()),
                    parsed.computeIfAbsent(expression2, e -> Optional.of(FhirPath.parse(e))).orElseThrow()));
        }
        return new SearchParam(code, SearchParamType.of(sp.path("type").asText()), sp.path("url").asText(), path,
                List.copyOf(targets), List.copyOf(components));
    }

    private static JsonNode read(String resource) {
        try (InputStream in = Objects.requireNonNull(SearchParameters.class.getResourceAsStream(resource), resource)) {
            return FhirJson.mapper().readTree(in);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read search parameter definitions " + resource, e);
        }
    }
}
