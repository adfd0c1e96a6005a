package dev.fhirhook.fhir.definitions;

import java.util.Locale;

/** The FHIR search parameter types. */
public enum SearchParamType {
    NUMBER, DATE, STRING, TOKEN, REFERENCE, COMPOSITE, QUANTITY, URI, SPECIAL;

    static SearchParamType of(String code) {
        return valueOf(code.toUpperCase(Locale.ROOT));
    }

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
