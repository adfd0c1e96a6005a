package dev.fhirhook.fhir.fhirpath;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What we know about R4 type names without loading the structure definitions: the types a choice element
 * {@code [x]} may take (the JSON field suffix tells which one is present) and how FHIR primitives map to the
 * FHIRPath System types.
 */
final class FhirTypes {
    static final Set<String> PRIMITIVES = Set.of(
            "base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id", "instant", "integer",
            "markdown", "oid", "positiveInt", "string", "time", "unsignedInt", "uri", "url", "uuid");

    /** The complex types an R4 choice element can have (the "open" type list plus Meta). */
    private static final Set<String> CHOICE_COMPLEX = Set.of(
            "Address", "Age", "Annotation", "Attachment", "CodeableConcept", "Coding", "ContactPoint", "Count",
            "Distance", "Duration", "HumanName", "Identifier", "Money", "Period", "Quantity", "Range", "Ratio",
            "Reference", "SampledData", "Signature", "Timing", "ContactDetail", "Contributor", "DataRequirement",
            "Expression", "ParameterDefinition", "RelatedArtifact", "TriggerDefinition", "UsageContext", "Dosage", "Meta");

    /** Resources that are not DomainResources in R4. */
    private static final Set<String> NON_DOMAIN_RESOURCES = Set.of("Bundle", "Binary", "Parameters");

    /** FHIRPath System type → the FHIR types whose values are implicitly that System type. */
    static final Map<String, Set<String>> SYSTEM_TYPES = Map.of(
            "Boolean", Set.of("boolean"),
            "String", Set.of("string", "code", "id", "markdown", "uri", "url", "canonical", "oid", "uuid", "base64Binary"),
            "Integer", Set.of("integer", "positiveInt", "unsignedInt"),
            "Decimal", Set.of("decimal"),
            "Date", Set.of("date"),
            "DateTime", Set.of("dateTime", "instant"),
            "Time", Set.of("time"),
            "Quantity", Set.of("Quantity", "Age", "Count", "Distance", "Duration"));

    private static final Map<String, String> BY_CHOICE_SUFFIX = choiceSuffixes();

    private FhirTypes() {
    }

    /** "DateTime" → "dateTime", "Quantity" → "Quantity"; null when the suffix is not a type a choice can have. */
    static String choiceType(String suffix) {
        return BY_CHOICE_SUFFIX.get(suffix);
    }

    static boolean isDomainResource(String resourceType) {
        return !NON_DOMAIN_RESOURCES.contains(resourceType);
    }

    private static Map<String, String> choiceSuffixes() {
        var map = new HashMap<String, String>();
        for (String primitive : PRIMITIVES) map.put(Character.toUpperCase(primitive.charAt(0)) + primitive.substring(1), primitive);
        for (String complex : CHOICE_COMPLEX) map.put(complex, complex);
        return Map.copyOf(map);
    }
}
