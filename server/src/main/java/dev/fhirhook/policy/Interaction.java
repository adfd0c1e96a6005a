package dev.fhirhook.policy;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The FHIR interactions an AccessPolicy entry names in {@code interaction[]}. A JSON Patch is an {@link #UPDATE};
 * an update that creates the resource is a {@link #CREATE}.
 */
public enum Interaction {
    CREATE("create"),
    READ("read"),
    VREAD("vread"),
    UPDATE("update"),
    DELETE("delete"),
    HISTORY("history"),
    SEARCH("search");

    /** What the deprecated {@code readonly: true} grants when {@code interaction} is absent. */
    public static final Set<Interaction> READ_ONLY = Set.copyOf(EnumSet.of(SEARCH, READ, HISTORY, VREAD));
    public static final Set<Interaction> ALL = Set.copyOf(EnumSet.allOf(Interaction.class));

    private final String code;

    Interaction(String code) {
        this.code = code;
    }

    /** The code as written in a policy, such as {@code vread}. */
    public String code() {
        return code;
    }

    public static Optional<Interaction> of(String code) {
        for (var interaction : values()) {
            if (interaction.code.equals(code)) return Optional.of(interaction);
        }
        return Optional.empty();
    }
}
