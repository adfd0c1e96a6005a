package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import dev.fhirhook.fhir.fhirpath.FhirPathException;
import dev.fhirhook.fhir.search.References;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code meta.compartment}, computed by the server on every write and never taken from the client: the resource's
 * project, then every Patient whose compartment it is in, by the R4 Patient CompartmentDefinition (a Patient is in
 * its own). AccessPolicy {@code compartment} entries are enforced against this element, so a client that could
 * choose it could place a resource in, or keep it out of, any patient's compartment. Thread-safe.
 */
final class Compartments {
    static final String TABLE = "/fhir/patient-compartment.txt";

    /** Per resource type, the reference parameters that place it in a Patient's compartment. */
    private final Map<String, List<SearchParam>> patientParams;

    Compartments(SearchParameters parameters) {
        var byType = new HashMap<String, List<SearchParam>>();
        table().forEach((type, codes) -> byType.put(type, codes.stream()
                .map(code -> parameters.find(type, code).orElseThrow(() -> new IllegalStateException(
                        TABLE + " names " + type + "." + code + ", which is no search parameter")))
                .toList()));
        this.patientParams = Map.copyOf(byType);
    }

    /** The table as written: type to parameter codes, in order. */
    static Map<String, List<String>> table() {
        var table = new java.util.LinkedHashMap<String, List<String>>();
        try (var in = Objects.requireNonNull(Compartments.class.getResourceAsStream(TABLE), TABLE);
             var lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                var words = List.of(line.strip().split(" +"));
                table.put(words.getFirst(), words.subList(1, words.size()));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + TABLE, e);
        }
        return table;
    }

    /**
     * A resource's compartments, with what the patient parameters' expressions gave on it, so that its index
     * extraction does not evaluate them again.
     *
     * @param evaluated by parameter, the items of each expression that evaluated without error
     */
    record Computed(ArrayNode compartments, Map<SearchParam, List<FhirPath.Item>> evaluated) {}

    /** The compartments of a resource about to be written, in Medplum's order: the project first. */
    Computed of(String type, String id, String projectId, JsonNode resource) {
        Set<String> references = new LinkedHashSet<>();
        references.add("Project/" + projectId);
        if (type.equals("Patient")) references.add("Patient/" + id);
        var evaluated = new IdentityHashMap<SearchParam, List<FhirPath.Item>>(); // the definitions' own instances
        for (SearchParam param : patientParams.getOrDefault(type, List.of())) {
            if (param.expression().isEmpty()) continue;
            List<FhirPath.Item> items;
            try {
                items = param.expression().get().evaluate(resource);
            } catch (FhirPathException e) {
                // the resource breaks a rule of the expression: it places the resource in no compartment, as in search
                continue;
            }
            evaluated.put(param, items);
            for (var item : items) {
                JsonNode reference = item.node().get("reference");
                if (reference == null || !reference.isTextual()) continue;
                References.parse(reference.asText())
                        .filter(target -> target.type().equals("Patient"))
                        .ifPresent(target -> references.add("Patient/" + target.id()));
            }
        }
        var out = FhirJson.mapper().createArrayNode();
        for (String reference : references) out.addObject().put("reference", reference);
        return new Computed(out, evaluated);
    }
}
