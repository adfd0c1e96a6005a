package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A type named in {@code is}, {@code as}, {@code ofType()} or as the leading name of a path ({@code Patient.name}).
 *
 * <p>Matching is on the item's known type only: JSON shape alone cannot tell Quantity from Age or Duration, or
 * string from code, uri or dateTime, so an item whose type is unknown (null) never matches. Types become known
 * from choice element suffixes, from {@code resourceType} on resources, from JSON booleans (always FHIR boolean),
 * from literals and from {@code resolve()}. FHIR type names match exactly — no subtype rules, so
 * {@code as uri} does not take a {@code canonical} (the R4 SearchParameters rely on that to tell
 * {@code ConceptMap.sourceUri} from {@code sourceCanonical}). Exceptions: {@code Resource} matches any resource,
 * {@code DomainResource} any but Bundle, Binary and Parameters, and a System type ({@code System.String},
 * {@code DateTime}, ...) matches the FHIR primitives that convert to it.
 */
record TypeSpecifier(Namespace namespace, String name) {
    enum Namespace { FHIR, SYSTEM }

    /** Reads {@code Name}, {@code FHIR.Name} or {@code System.Name}; rejects names that cannot be a type. */
    static TypeSpecifier of(String qualifier, String name, int at) {
        if (qualifier != null) {
            return switch (qualifier) {
                case "FHIR" -> fhir(name, at);
                case "System" -> {
                    if (!FhirTypes.SYSTEM_TYPES.containsKey(name)) throw new FhirPathException("unknown System type '" + name + "'", at);
                    yield new TypeSpecifier(Namespace.SYSTEM, name);
                }
                default -> throw new FhirPathException("unknown type namespace '" + qualifier + "'", at);
            };
        }
        // FHIR names win; the only System name that is also a FHIR type is Quantity
        if (FhirTypes.SYSTEM_TYPES.containsKey(name) && !name.equals("Quantity")) return new TypeSpecifier(Namespace.SYSTEM, name);
        return fhir(name, at);
    }

    private static TypeSpecifier fhir(String name, int at) {
        if (!FhirTypes.PRIMITIVES.contains(name) && !Character.isUpperCase(name.charAt(0))) {
            throw new FhirPathException("unknown type '" + name + "'", at);
        }
        return new TypeSpecifier(Namespace.FHIR, name);
    }

    boolean matches(FhirPath.Item item) {
        String type = item.type();
        if (type == null) return false;
        return switch (namespace) {
            case SYSTEM -> FhirTypes.SYSTEM_TYPES.get(name).contains(type);
            case FHIR -> switch (name) {
                case "Resource" -> isResource(item);
                case "DomainResource" -> isResource(item) && FhirTypes.isDomainResource(type);
                default -> name.equals(type);
            };
        };
    }

    private static boolean isResource(FhirPath.Item item) {
        JsonNode resourceType = item.node().get("resourceType");
        return resourceType != null && resourceType.isTextual() && resourceType.asText().equals(item.type());
    }

    @Override
    public String toString() {
        return namespace == Namespace.SYSTEM ? "System." + name : name;
    }
}
