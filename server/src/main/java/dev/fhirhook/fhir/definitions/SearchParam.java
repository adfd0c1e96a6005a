package dev.fhirhook.fhir.definitions;

import dev.fhirhook.fhir.fhirpath.FhirPath;
import java.util.List;
import java.util.Optional;

/**
 * One search parameter as it applies to one resource type.
 *
 * @param expression the parsed FHIRPath that extracts its values, empty for parameters served from columns
 *     ({@code _id}, {@code _lastUpdated}) or not indexed ({@code _text}, {@code _content}, ...)
 * @param targets resource types a reference parameter may point to (empty: any)
 * @param components of a composite parameter, in order; empty for other types
 */
public record SearchParam(String code, SearchParamType type, String url, Optional<FhirPath> expression,
        List<String> targets, List<Component> components) {

    /** One part of a composite: its type (from the component's own definition) and its expression, relative to each item. */
    public record Component(SearchParamType type, FhirPath expression) {}
}
