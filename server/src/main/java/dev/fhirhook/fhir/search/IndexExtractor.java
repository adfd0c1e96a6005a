package dev.fhirhook.fhir.search;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.fhirpath.FhirPath;
import dev.fhirhook.fhir.fhirpath.FhirPathException;
import java.math.BigDecimal;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns a resource into its search index rows: every parameter of its type is evaluated (FHIRPath) and
 * each value converted by the parameter's type. Pure and thread-safe.
 */
final class IndexExtractor {
    /** More rows than this from one resource is hostile or broken input; the write is refused. */
    static final int MAX_ROWS = 20_000;
    private static final Set<String> CONTACT_SYSTEMS = Set.of("phone", "fax", "email", "pager", "url", "sms", "other");

    private final SearchParameters parameters;

    IndexExtractor(SearchParameters parameters) {
        this.parameters = parameters;
    }

    Set<IndexRow> extract(String type, JsonNode resource) {
        return extract(type, resource, Map.of());
    }

    /** @param evaluated what some parameters' expressions gave for this same {@code resource}, not evaluated again */
    Set<IndexRow> extract(String type, JsonNode resource, Map<SearchParam, List<FhirPath.Item>> evaluated) {
        var rows = new LinkedHashSet<IndexRow>();
        for (SearchParam param : parameters.of(type)) {
            if (param.expression().isEmpty()) continue;
            List<FhirPath.Item> items = evaluated.isEmpty() ? null : evaluated.get(param);
            if (items == null) {
                try {
                    items = param.expression().get().evaluate(resource);
                } catch (FhirPathException e) {
                    // this resource breaks a rule of the expression (e.g. where() over several items): not indexed by it
                    continue;
                }
            }
            if (param.type() == dev.fhirhook.fhir.definitions.SearchParamType.COMPOSITE) {
                composite(rows, param, items, resource);
            } else {
                for (var item : items) add(rows, param.code(), param.type(), item);
            }
            if (rows.size() > MAX_ROWS) {
                throw dev.fhirhook.api.ApiException.badRequest("fhir.too-many-values",
                        "Resource has too many searchable values (more than " + MAX_ROWS + ")");
            }
        }
        return rows;
    }

    /**
     * Each item of a composite's expression (one Observation.component, say) is a group: its components'
     * values are indexed under {@code code$0}, {@code code$1}, ... with the group's number.
     */
    private static void composite(Set<IndexRow> rows, SearchParam param, List<FhirPath.Item> items, JsonNode resource) {
        int group = 0;
        for (var item : items) {
            group++;
            for (int i = 0; i < param.components().size(); i++) {
                var component = param.components().get(i);
                var values = new LinkedHashSet<IndexRow>();
                try {
                    for (var value : component.expression().evaluate(item, resource)) {
                        add(values, param.code() + "$" + i, component.type(), value);
                    }
                } catch (FhirPathException e) {
                    continue;
                }
                for (IndexRow value : values) rows.add(new IndexRow.InGroup(value, group));
            }
        }
    }

    private static void add(Set<IndexRow> rows, String code, dev.fhirhook.fhir.definitions.SearchParamType type, FhirPath.Item item) {
        JsonNode node = item.node();
        switch (type) {
            case TOKEN -> token(rows, code, node);
            case STRING -> strings(rows, code, node);
            case REFERENCE -> reference(rows, code, node);
            case DATE -> dates(rows, code, node);
            case NUMBER -> {
                if (node.isNumber()) rows.add(new IndexRow.Number(code, node.decimalValue()));
            }
            case QUANTITY -> quantity(rows, code, node);
            case URI -> {
                if (node.isTextual()) rows.add(new IndexRow.Uri(code, SearchText.bound(node.asText())));
            }
            case COMPOSITE, SPECIAL -> { }
        }
    }

    private static void token(Set<IndexRow> rows, String param, JsonNode node) {
        if (node.isTextual() || node.isBoolean() || node.isNumber()) {
            rows.add(new IndexRow.Token(param, null, SearchText.bound(node.asText()), null, null, null));
        } else if (node.has("coding") || (node.has("text") && !node.has("value"))) {
            String text = node.path("text").isTextual() ? SearchText.normalize(node.get("text").asText()) : null;
            for (JsonNode coding : node.path("coding")) coding(rows, param, coding, text);
            if (text != null) rows.add(new IndexRow.Token(param, null, null, text, null, null));
        } else if (node.has("code") || (node.has("system") && !node.has("value"))) {
            coding(rows, param, node, null);
        } else if (node.has("value")) {
            String system = text(node.get("system"));
            if (system != null && CONTACT_SYSTEMS.contains(system) && !node.has("type") && !node.has("assigner")) {
                rows.add(new IndexRow.Token(param, null, SearchText.bound(text(node.get("value"))), null, null, null));
                return;
            }
            JsonNode typeCoding = node.path("type").path("coding").path(0);
            rows.add(new IndexRow.Token(param, SearchText.bound(system), SearchText.bound(text(node.get("value"))),
                    node.path("type").path("text").isTextual() ? SearchText.normalize(node.path("type").path("text").asText()) : null,
                    SearchText.bound(text(typeCoding.get("system"))), SearchText.bound(text(typeCoding.get("code")))));
        }
    }

    private static void coding(Set<IndexRow> rows, String param, JsonNode coding, String conceptText) {
        String display = coding.path("display").isTextual() ? SearchText.normalize(coding.get("display").asText()) : null;
        rows.add(new IndexRow.Token(param, SearchText.bound(text(coding.get("system"))),
                SearchText.bound(text(coding.get("code"))), display != null ? display : conceptText, null, null));
    }

    private static void strings(Set<IndexRow> rows, String param, JsonNode node) {
        if (node.isTextual()) {
            string(rows, param, node.asText());
            return;
        }
        if (!node.isObject()) return;
        // HumanName, Address and other complex types: every string part is searchable.
        for (var field : node.properties()) {
            JsonNode v = field.getValue();
            if (field.getKey().equals("period") || field.getKey().equals("use") || field.getKey().equals("type")) continue;
            if (v.isTextual()) string(rows, param, v.asText());
            else if (v.isArray()) v.forEach(e -> { if (e.isTextual()) string(rows, param, e.asText()); });
        }
    }

    private static void string(Set<IndexRow> rows, String param, String value) {
        if (value.isBlank()) return;
        rows.add(new IndexRow.Str(param, SearchText.normalize(value), SearchText.bound(value)));
    }

    private static void reference(Set<IndexRow> rows, String param, JsonNode node) {
        if (node.isTextual()) { // canonical or uri
            rows.add(new IndexRow.Reference(param, null, null, SearchText.bound(node.asText())));
            return;
        }
        String ref = text(node.get("reference"));
        if (ref != null) {
            var target = References.parse(ref);
            rows.add(new IndexRow.Reference(param, target.map(References.Target::type).orElse(null),
                    target.map(References.Target::id).orElse(null), SearchText.bound(ref)));
        }
        JsonNode identifier = node.get("identifier");
        if (identifier != null && identifier.isObject()) token(rows, param + ":identifier", identifier);
    }

    private static void dates(Set<IndexRow> rows, String param, JsonNode node) {
        if (node.isTextual()) {
            DateRange.parse(node.asText()).ifPresent(r -> rows.add(new IndexRow.Date(param, r.low(), r.high())));
        } else if (node.isObject() && (node.has("start") || node.has("end"))) { // Period
            var start = DateRange.parse(text(node.get("start")));
            var end = DateRange.parse(text(node.get("end")));
            if (start.isPresent() || end.isPresent()) {
                var low = start.map(DateRange::low).orElse(DateRange.MIN);
                var high = end.map(DateRange::high).orElse(DateRange.MAX);
                // a Period that ends before it starts covers no time; the index needs low <= high
                rows.add(new IndexRow.Date(param, low, high.isBefore(low) ? low : high));
            }
        } else if (node.isObject() && node.has("event")) { // Timing
            for (JsonNode event : node.get("event")) dates(rows, param, event);
        }
    }

    private static void quantity(Set<IndexRow> rows, String param, JsonNode node) {
        if (!node.isObject()) return;
        JsonNode value = node.get("value");
        if (value == null || !value.isNumber()) return;
        BigDecimal v = value.decimalValue();
        if (node.has("currency")) { // Money
            rows.add(new IndexRow.Quantity(param, v, "urn:iso:std:iso:4217", SearchText.bound(text(node.get("currency")))));
            return;
        }
        String code = text(node.get("code"));
        String unit = text(node.get("unit"));
        rows.add(new IndexRow.Quantity(param, v, SearchText.bound(text(node.get("system"))), SearchText.bound(code != null ? code : unit)));
        if (code != null && unit != null && !unit.equals(code)) {
            rows.add(new IndexRow.Quantity(param, v, null, SearchText.bound(unit)));
        }
    }

    private static String text(JsonNode node) {
        return node != null && node.isValueNode() && !node.isNull() ? node.asText() : null;
    }

}
