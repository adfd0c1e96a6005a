package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.FhirJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The 1,375 official R4 SearchParameters as published in hapi-fhir-validation-resources-r4, read once. */
final class OfficialSearchParameters {
    static final List<JsonNode> ALL = load();

    private OfficialSearchParameters() {
    }

    /** The one parameter with this code on this base type. */
    static JsonNode require(String base, String code) {
        var matches = ALL.stream()
                .filter(sp -> sp.path("code").asText().equals(code))
                .filter(sp -> sp.path("base").valueStream().anyMatch(b -> b.asText().equals(base)))
                .toList();
        if (matches.size() != 1) throw new AssertionError(matches.size() + " parameters named " + code + " on " + base);
        return matches.getFirst();
    }

    /** The parsed {@code expression} of the parameter with this code on this base type. */
    static FhirPath expression(String base, String code) {
        return FhirPath.parse(require(base, code).path("expression").asText());
    }

    /** The parsed component expressions of a composite parameter, in order. */
    static List<FhirPath> components(String base, String code) {
        var out = new ArrayList<FhirPath>();
        for (JsonNode component : require(base, code).path("component")) out.add(FhirPath.parse(component.path("expression").asText()));
        return out;
    }

    private static List<JsonNode> load() {
        try (var in = Objects.requireNonNull(OfficialSearchParameters.class.getResourceAsStream(
                "/org/hl7/fhir/r4/model/sp/search-parameters.json"), "search-parameters.json on the classpath")) {
            var out = new ArrayList<JsonNode>();
            for (JsonNode entry : FhirJson.mapper().readTree(in).path("entry")) out.add(entry.path("resource"));
            return List.copyOf(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
