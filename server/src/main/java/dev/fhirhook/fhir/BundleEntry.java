package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import java.util.HashMap;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * One entry of a batch or transaction request, checked before it runs: its method, its URL split into the type,
 * id, {@code _history} and version segments of one FHIR interaction, and the body that method needs. Anything
 * else is refused here (400 naming the element, such as {@code entry[2].request.url}), so that running an entry
 * never meets a URL it cannot take apart. Immutable apart from {@code resource}, which a transaction rewrites.
 *
 * @param path the URL's path segments below the FHIR base: 1 to 4, none empty, the first a resource type
 * @param query the URL's query, without {@code ?}; empty when it has none
 */
record BundleEntry(int index, String method, List<String> path, String query, ObjectNode resource, String fullUrl,
        JsonNode request) {

    /** Every method an entry may have, in the order a transaction runs them. */
    static final List<String> METHODS = List.of("DELETE", "POST", "PUT", "PATCH", "GET", "HEAD");
    private static final int MAX_URL_LENGTH = 4096;
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

    /**
     * @param fhirBase this server's FHIR base URL ({@code http://host/fhir/R4/}): an entry URL may start with it
     * @param knownType whether this server stores a resource type
     */
    static BundleEntry read(int index, JsonNode raw, String fhirBase, Predicate<String> knownType) {
        String where = "entry[" + index + "]";
        if (!raw.isObject()) throw invalid(where, "must be an object");
        JsonNode req = raw.path("request");
        if (!req.isObject()) throw invalid(where + ".request", "is required");
        String method = req.path("method").asText("");
        if (!METHODS.contains(method)) {
            throw invalid(where + ".request.method", "must be GET, HEAD, POST, PUT, PATCH or DELETE");
        }
        String url = url(req.path("url"), where + ".request.url", fhirBase);
        int q = url.indexOf('?');
        var path = path(q < 0 ? url : url.substring(0, q), method, q >= 0, where + ".request.url", knownType);
        JsonNode resource = raw.get("resource");
        if (resource != null && !resource.isObject()) throw invalid(where + ".resource", "must be an object");
        if ((method.equals("POST") || method.equals("PUT") || method.equals("PATCH")) && resource == null) {
            throw invalid(where + ".resource", "is required for " + method);
        }
        JsonNode fullUrl = raw.get("fullUrl");
        return new BundleEntry(index, method, path, q < 0 ? "" : url.substring(q + 1),
                resource == null ? null : ((ObjectNode) resource).deepCopy(),
                fullUrl != null && fullUrl.isTextual() ? fullUrl.asText() : null, req);
    }

    /**
     * FHIR's bdl-7: no two entries share a fullUrl, unless they hold different versions of one resource (different
     * {@code meta.versionId}) and {@code versionsMayShare}. A transaction refers to entries by fullUrl, so there a
     * repeat would make references ambiguous (the last entry used to win silently): it passes false.
     */
    static void requireUniqueFullUrls(JsonNode entries, boolean versionsMayShare) {
        record Key(String fullUrl, String versionId) {}
        var seen = new HashMap<Key, Integer>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode fullUrl = entries.get(i).path("fullUrl");
            if (!fullUrl.isTextual()) continue;
            JsonNode versionId = entries.get(i).path("resource").path("meta").path("versionId");
            var key = new Key(fullUrl.asText(), versionsMayShare ? versionId.asText("") : "");
            Integer first = seen.putIfAbsent(key, i);
            if (first != null) {
                String where = "entry[" + i + "].fullUrl";
                throw ApiException.badRequest("bundle.duplicate-full-url", "Invalid " + where + ": "
                        + quoted(fullUrl.asText()) + " is also the fullUrl of entry[" + first
                        + "]; fullUrls must be unique in a Bundle").at(where);
            }
        }
    }

    String where() {
        return "entry[" + index + "]";
    }

    String type() {
        return path.getFirst();
    }

    /** A PUT, PATCH or DELETE of whatever its criteria match ({@code Type?criteria}). */
    boolean conditionalWrite() {
        return path.size() == 1 && (method.equals("PUT") || method.equals("PATCH") || method.equals("DELETE"));
    }

    /** The URL relative to the FHIR base, without the query. */
    String relativePath() {
        return String.join("/", path);
    }

    /** The URL without this server's base; absolute URLs of other servers and rooted paths are refused. */
    private static String url(JsonNode node, String where, String fhirBase) {
        if (!node.isTextual() || node.asText().isEmpty()) throw invalid(where, "is required");
        String url = node.asText();
        if (url.length() > MAX_URL_LENGTH) throw invalid(where, "is longer than " + MAX_URL_LENGTH + " characters");
        if (url.startsWith(fhirBase)) return url.substring(fhirBase.length());
        int q = url.indexOf('?');
        String path = q < 0 ? url : url.substring(0, q);
        if (path.startsWith("//") || SCHEME.matcher(path).find()) {
            throw invalid(where, quoted(url) + " is not a URL of this server: write it relative to the FHIR base,"
                    + " such as Patient/123, or starting with " + fhirBase);
        }
        if (path.startsWith("/")) {
            throw invalid(where, quoted(url) + " must be relative to the FHIR base, as in Patient/123 (no leading /)");
        }
        return url;
    }

    private static List<String> path(String path, String method, boolean hasQuery, String where,
            Predicate<String> knownType) {
        if (path.isEmpty()) throw invalid(where, "names no resource type, such as Patient or Patient?name=x");
        var segments = List.of(path.split("/", -1));
        if (segments.contains("")) throw invalid(where, quoted(path) + " has an empty path segment");
        if (segments.contains(".") || segments.contains("..")) {
            throw invalid(where, quoted(path) + " has a '.' or '..' segment");
        }
        if (!knownType.test(segments.getFirst())) {
            throw invalid(where, quoted(segments.getFirst()) + " is not a resource type");
        }
        String id = segments.size() > 1 ? segments.get(1) : null;
        boolean typeHistory = "_history".equals(id);
        if (id != null && !typeHistory && !ResourceStore.ID.matcher(id).matches()) {
            throw invalid(where, quoted(id) + " is not a valid id (1-64 characters of A-Z, a-z, 0-9, '-' and '.')");
        }
        boolean instanceHistory = segments.size() >= 3 && !typeHistory && segments.get(2).equals("_history");
        boolean write = method.equals("PUT") || method.equals("PATCH") || method.equals("DELETE");
        boolean shape = switch (method) {
            case "POST" -> segments.size() == 1;
            case "PUT", "PATCH", "DELETE" -> segments.size() == 1 || segments.size() == 2 && !typeHistory;
            default -> segments.size() <= 2 || segments.size() <= 4 && instanceHistory; // GET, HEAD
        };
        if (!shape) {
            throw invalid(where, quoted(path) + " is not a " + method + " interaction: expected " + shapes(method));
        }
        if (write && segments.size() == 1 && !hasQuery) {
            throw invalid(where, "a conditional " + method + " needs search criteria, such as "
                    + segments.getFirst() + "?identifier=...");
        }
        return segments;
    }

    private static String shapes(String method) {
        return switch (method) {
            case "POST" -> "a resource type, such as Patient";
            case "PUT", "PATCH", "DELETE" -> "Type/id or Type?criteria";
            default -> "Type, Type?criteria, Type/id, Type/_history, Type/id/_history or Type/id/_history/versionId";
        };
    }

    static ApiException invalid(String where, String why) {
        return ApiException.badRequest("bundle.invalid-entry", "Invalid " + where + ": " + why).at(where);
    }

    /** User text quoted in a message, bounded. */
    static String quoted(String s) {
        return "'" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
    }
}
