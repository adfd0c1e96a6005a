package dev.fhirhook.fhir;

import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

/** The history parameters: {@code _count}, {@code _offset} and {@code _since}; anything else is a 400. */
record HistoryPaging(int count, int offset, Optional<Instant> since) {
    private static final Set<String> KNOWN = Set.of("_count", "_offset", "_since", "_format", "_pretty");

    static HistoryPaging of(ApiRequest request) {
        for (String name : request.query().keySet()) {
            if (!KNOWN.contains(name)) {
                throw ApiException.badRequest("fhir.unknown-parameter", "Unknown history parameter: "
                        + (name.length() > 64 ? name.substring(0, 64) : name)).at(name.length() > 64 ? name.substring(0, 64) : name);
            }
        }
        int count = intParam(request, "_count", ResourceApi.DEFAULT_HISTORY_COUNT, 0, ResourceApi.MAX_HISTORY_COUNT);
        int offset = intParam(request, "_offset", 0, 0, 100_000);
        Optional<Instant> since = request.queryParam("_since").map(s -> Instants.parse(s).orElseThrow(() ->
                ApiException.badRequest("fhir.invalid-parameter", "Invalid _since: expected an instant such as 2026-01-01T00:00:00Z")
                        .at("_since")));
        return new HistoryPaging(count, offset, since);
    }

    private static int intParam(ApiRequest request, String name, int def, int min, int max) {
        var value = request.queryParam(name);
        if (value.isEmpty()) return def;
        try {
            int n = Integer.parseInt(value.get());
            if (n >= min && n <= max) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw ApiException.badRequest("fhir.invalid-parameter",
                "Invalid " + name + ": expected a whole number from " + min + " to " + max).at(name);
    }
}
