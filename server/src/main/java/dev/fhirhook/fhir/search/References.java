package dev.fhirhook.fhir.search;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Reads the local target of a FHIR reference string: {@code Type/id} or {@code Type/id/_history/v}. An absolute
 * URL names a resource on some server (perhaps another one), so it has no local target; it is matched by its URL.
 */
public final class References {
    private static final Pattern RELATIVE = Pattern.compile("([A-Z][A-Za-z]{1,63})/([A-Za-z0-9\\-.]{1,64})(?:/_history/[A-Za-z0-9\\-.]{1,64})?");

    public record Target(String type, String id) {}

    private References() {}

    public static Optional<Target> parse(String reference) {
        if (reference == null || reference.length() > 2048 || reference.startsWith("#") || reference.startsWith("urn:")) {
            return Optional.empty();
        }
        var m = RELATIVE.matcher(reference);
        return m.matches() ? Optional.of(new Target(m.group(1), m.group(2))) : Optional.empty();
    }
}
