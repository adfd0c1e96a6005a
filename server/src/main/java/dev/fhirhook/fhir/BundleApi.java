package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Failures;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.fhir.search.SearchApi;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code POST /fhir/R4/} with a {@code batch} or {@code transaction} Bundle. A transaction runs every entry
 * in one database transaction (all or nothing), in the FHIR order DELETE, POST, PUT/PATCH, GET, after
 * giving every new resource its id so that {@code urn:uuid:} references between entries are rewritten.
 * A batch runs each entry on its own and reports each outcome. Thread-safe.
 */
public final class BundleApi {
    public static final int MAX_ENTRIES = 1000;

    private final ResourceApi resources;
    private final SearchApi search;

    public BundleApi(ResourceApi resources, SearchApi search) {
        this.resources = resources;
        this.search = search;
    }

    public ApiResponse process(ApiRequest request, Scope scope) {
        String mediaType = request.mediaType();
        if (!mediaType.equals("application/fhir+json") && !mediaType.equals("application/json")) {
            throw ApiException.unsupportedMediaType();
        }
        if (!(FhirJson.parse(request.body()) instanceof ObjectNode bundle) || !"Bundle".equals(bundle.path("resourceType").asText())) {
            throw ApiException.badRequest("bundle.not-a-bundle", "Expected a Bundle").at("resourceType");
        }
        String type = bundle.path("type").asText("");
        if (!type.equals("batch") && !type.equals("transaction")) {
            throw ApiException.badRequest("bundle.invalid-type", "Bundle type must be batch or transaction").at("type");
        }
        JsonNode rawEntries = bundle.path("entry");
        if (!rawEntries.isMissingNode() && !rawEntries.isArray()) {
            throw ApiException.badRequest("bundle.invalid-entry", "Bundle.entry must be an array").at("entry");
        }
        if (rawEntries.size() > MAX_ENTRIES) {
            throw ApiException.badRequest("bundle.too-many-entries", "A Bundle may hold at most " + MAX_ENTRIES + " entries").at("entry");
        }
        String fhirBase = request.baseUrl() + "fhir/R4/";
        // A batch whose fullUrls break bdl-7 is not a valid Bundle: refused whole, before any entry commits.
        BundleEntry.requireUniqueFullUrls(rawEntries, type.equals("batch"));
        List<ObjectNode> responses;
        if (type.equals("transaction")) {
            var entries = new ArrayList<BundleEntry>();
            for (int i = 0; i < rawEntries.size(); i++) {
                entries.add(BundleEntry.read(i, rawEntries.get(i), fhirBase, resources::knowsType));
            }
            responses = transaction(request, scope, entries);
        } else {
            responses = batch(request, scope, rawEntries, fhirBase);
        }
        var out = FhirJson.mapper().createObjectNode();
        out.put("resourceType", "Bundle");
        out.put("type", type + "-response");
        var list = out.putArray("entry");
        responses.forEach(list::add);
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, FhirJson.bytes(out));
    }

    /** Each entry on its own: one that cannot be read or run gets its own failed response, the others theirs. */
    private List<ObjectNode> batch(ApiRequest request, Scope scope, JsonNode rawEntries, String fhirBase) {
        var out = new ArrayList<ObjectNode>();
        for (int i = 0; i < rawEntries.size(); i++) {
            try {
                var e = BundleEntry.read(i, rawEntries.get(i), fhirBase, resources::knowsType);
                out.add(response(run(request, scope, resources, search, e, Map.of())));
            } catch (ApiException failure) {
                out.add(failed(failure, request));
            } catch (RuntimeException failure) {
                // Entries before this one are committed: a 500 for the whole batch would hide that, and a client
                // retrying it would write them twice. This entry alone fails, with no internals in its answer.
                String where = "request " + request.ids().requestId() + " " + request.method() + " " + request.path()
                        + " entry[" + i + "]";
                out.add(failed(Failures.asApiException(failure, where).at("entry[" + i + "]"), request));
            }
        }
        return out;
    }

    private List<ObjectNode> transaction(ApiRequest request, Scope scope, List<BundleEntry> entries) {
        var targets = TransactionTargets.named(entries);
        // A failing entry throws: the whole transaction is rolled back and that entry's outcome is the answer.
        return resources.store().inTransaction((store, jdbc) -> {
            var api = resources.on(store);
            var txSearch = search.on(jdbc);
            var created = assignIds(request, scope, api, jdbc, entries);
            // new ids too: a conditional PUT or PATCH that runs later may find what a POST created
            for (var e : entries) {
                if (created.containsKey(e.index())) targets.claim(e.type(), created.get(e.index()).id(), e);
            }
            var conditionalPuts = resolveConditions(request, scope, api, jdbc, entries, targets);
            var references = new HashMap<String, String>();
            for (BundleEntry e : entries) {
                var target = created.get(e.index());
                if (e.fullUrl() == null || !e.fullUrl().startsWith("urn:uuid:")) continue;
                if (target != null) {
                    references.put(e.fullUrl(), e.resource().path("resourceType").asText() + "/" + target.id());
                } else if (e.method().equals("PUT") && e.path().size() == 2) {
                    references.put(e.fullUrl(), e.relativePath()); // PUT Type/id: entries may refer to it by its fullUrl
                } else if (conditionalPuts.containsKey(e.index())) {
                    references.put(e.fullUrl(), e.type() + "/" + conditionalPuts.get(e.index()));
                }
            }
            for (BundleEntry e : entries) {
                if (e.resource() != null) rewrite(e.resource(), references, e.where() + ".resource");
            }
            var results = new ObjectNode[entries.size()];
            for (String method : BundleEntry.METHODS) {
                for (BundleEntry e : entries) {
                    if (!e.method().equals(method)) continue;
                    results[e.index()] = response(run(request, scope, api, txSearch, e, created));
                    // what a PUT or PATCH wrote, conditional ones included, as it resolved when it ran
                    String written = results[e.index()].path("resource").path("id").asText("");
                    if ((method.equals("PUT") || method.equals("PATCH")) && !written.isEmpty()) {
                        targets.claim(e.type(), written, e);
                    }
                }
            }
            return List.of(results);
        });
    }

    /** The id a POST entry of a transaction gets: new, or that of the resource its ifNoneExist found. */
    private record Target(String id, boolean exists) {}

    /** Gives every POST entry its target before anything is written, so that entries can refer to each other. */
    private Map<Integer, Target> assignIds(ApiRequest request, Scope scope, ResourceApi api, dev.fhirhook.db.Jdbc jdbc, List<BundleEntry> entries) {
        var targets = new HashMap<Integer, Target>();
        for (BundleEntry e : entries) {
            if (!e.method().equals("POST")) continue;
            String ifNoneExist = e.request().path("ifNoneExist").asText("");
            if (!ifNoneExist.isEmpty()) {
                String type = e.resource().path("resourceType").asText();
                var matches = api.conditional().lockAndMatch(jdbc, type, QueryString.parse(ifNoneExist), scope, request.baseUrl());
                if (matches.size() > 1) throw at(e, ApiException.multipleMatches());
                if (matches.size() == 1) {
                    targets.put(e.index(), new Target(matches.getFirst(), true));
                    continue;
                }
            }
            targets.put(e.index(), new Target(UUID.randomUUID().toString(), false));
        }
        return targets;
    }

    /**
     * Claims the resource each conditional DELETE, PUT and PATCH matches before anything is written, so that an
     * overlap does not depend on the order the entries run in (a DELETE run first would hide its resource from a
     * later condition). DELETE takes the criteria's lock, as its run would straight after; PUT and PATCH look
     * without it ({@link dev.fhirhook.fhir.search.ConditionalSearch#match}). Several matches are left to the run
     * (412).
     *
     * <p>A conditional PUT with a {@code urn:uuid:} fullUrl gets its id now, so that other entries can refer to it:
     * the id in its body, else the one match, else a new id; the id goes into its body, and its run then updates
     * that resource or creates it with that id. Should another writer change what the criteria match in between,
     * the run finds a resource of another id and the transaction fails as a whole.
     *
     * @return the ids of those conditional PUTs, by entry index
     */
    private static Map<Integer, String> resolveConditions(ApiRequest request, Scope scope, ResourceApi api,
            dev.fhirhook.db.Jdbc jdbc, List<BundleEntry> entries, TransactionTargets targets) {
        var puts = new HashMap<Integer, String>();
        for (BundleEntry e : entries) {
            if (!e.conditionalWrite()) continue;
            try {
                var criteria = QueryString.parse(e.query());
                var matches = e.method().equals("DELETE")
                        ? api.conditional().lockAndMatch(jdbc, e.type(), criteria, scope, request.baseUrl())
                        : api.conditional().match(jdbc, e.type(), criteria, scope, request.baseUrl());
                if (matches.size() == 1) targets.claim(e.type(), matches.getFirst(), e);
                boolean referable = e.fullUrl() != null && e.fullUrl().startsWith("urn:uuid:");
                if (e.method().equals("PUT") && referable && e.resource() != null) {
                    if (matches.size() > 1) throw ApiException.multipleMatches(); // no id to refer to: the run's 412 now
                    JsonNode bodyId = e.resource().get("id");
                    String id = bodyId != null && bodyId.isTextual() ? bodyId.asText()
                            : matches.isEmpty() ? UUID.randomUUID().toString() : matches.getFirst();
                    e.resource().put("id", id);
                    puts.put(e.index(), id);
                }
            } catch (ApiException failure) {
                throw at(e, failure);
            }
        }
        return puts;
    }

    /** Replaces every {@code urn:uuid:} reference to an entry by {@code Type/id}; one to no entry is a 400. */
    private static void rewrite(JsonNode node, Map<String, String> ids, String where) {
        if (node instanceof ObjectNode obj) {
            for (var field : obj.properties()) {
                JsonNode value = field.getValue();
                if (value.isTextual() && value.asText().startsWith("urn:uuid:")) {
                    String target = ids.get(value.asText());
                    if (target != null) {
                        field.setValue(TextNode.valueOf(target));
                    } else if (field.getKey().equals("reference")) {
                        throw ApiException.badRequest("bundle.unresolved-reference", "Unresolved reference "
                                + BundleEntry.quoted(value.asText()) + " in " + where + ": no entry has that fullUrl").at(where);
                    }
                } else {
                    rewrite(value, ids, where);
                }
            }
        } else if (node instanceof ArrayNode arr) {
            for (JsonNode item : arr) rewrite(item, ids, where);
        }
    }

    private ApiResponse run(ApiRequest parent, Scope scope, ResourceApi api, SearchApi search, BundleEntry e, Map<Integer, Target> targets) {
        try {
            var segments = e.path().toArray(String[]::new);
            var params = new LinkedHashMap<String, String>();
            params.put("type", segments[0]);
            if (segments.length > 1) params.put("id", segments[1]);
            if (segments.length == 4) params.put("vid", segments[3]);
            var headers = new LinkedHashMap<String, List<String>>();
            headers.put("content-type", List.of(e.method().equals("PATCH") ? "application/json-patch+json" : "application/fhir+json"));
            String ifMatch = e.request().path("ifMatch").asText("");
            if (!ifMatch.isEmpty()) headers.put("if-match", List.of(ifMatch));
            String ifNoneExist = e.request().path("ifNoneExist").asText("");
            if (!ifNoneExist.isEmpty()) headers.put("if-none-exist", List.of(ifNoneExist)); // used by api.create (batch)
            byte[] body = e.resource() == null ? new byte[0] : FhirJson.bytes(e.resource());
            if (e.method().equals("PATCH")) body = patchBody(e);
            var sub = new ApiRequest(e.method(), "/fhir/R4/" + e.relativePath(), params, QueryString.parse(e.query()),
                    headers, body, parent.ids(), parent.clientIp(), parent.baseUrl());
            if (e.method().equals("POST")) {
                Target target = targets.get(e.index());
                if (target == null) return api.create(sub, scope); // batch: an ordinary (conditional) create
                if (target.exists()) return ResourceApi.written(sub, api.store().read(scope, e.type(), target.id()), 200);
                String type = api.requireType(sub);
                var created = api.store().create(scope, api.resourceBody(sub, type), target.id());
                return ResourceApi.written(sub, created, 201).withHeader("Location", ResourceApi.versionUrl(sub, created));
            }
            return InProcessFhir.interaction(e.method(), segments, sub, scope, api, search)
                    .orElseThrow(() -> BundleEntry.invalid(e.where() + ".request.url", "is not a FHIR interaction URL"));
        } catch (ApiException failure) {
            throw at(e, failure);
        }
    }

    /** FHIR carries a JSON Patch in a bundle as a Binary whose data is the patch. */
    private static byte[] patchBody(BundleEntry e) {
        ObjectNode resource = e.resource();
        if ("Binary".equals(resource.path("resourceType").asText()) && resource.path("data").isTextual()) {
            try {
                return Base64.getDecoder().decode(resource.get("data").asText());
            } catch (IllegalArgumentException bad) {
                throw BundleEntry.invalid(e.where() + ".resource.data", "is not base64");
            }
        }
        throw BundleEntry.invalid(e.where() + ".resource", "a PATCH entry must carry a Binary with the JSON Patch as data");
    }

    private static ObjectNode response(ApiResponse response) {
        var entry = FhirJson.mapper().createObjectNode();
        if (response.body().length > 0 && response.contentType() != null && response.contentType().contains("json")) {
            JsonNode body = FhirJson.parse(response.body());
            if (body.path("resourceType").asText().equals("OperationOutcome")) {
                entry.putObject("response").set("outcome", body);
            } else {
                entry.set("resource", body);
            }
        }
        var out = entry.has("response") ? (ObjectNode) entry.get("response") : entry.putObject("response");
        out.put("status", String.valueOf(response.status()));
        Optional.ofNullable(response.headers().get("Location")).ifPresent(v -> out.put("location", v));
        Optional.ofNullable(response.headers().get("ETag")).ifPresent(v -> out.put("etag", v));
        Optional.ofNullable(response.headers().get("Last-Modified")).ifPresent(v -> out.put("lastModified", v));
        return entry;
    }

    private static ObjectNode failed(ApiException failure, ApiRequest request) {
        var entry = FhirJson.mapper().createObjectNode();
        var response = entry.putObject("response");
        response.put("status", String.valueOf(failure.status()));
        response.set("outcome", Outcomes.of(failure, request.ids()));
        return entry;
    }

    private static ApiException at(BundleEntry e, ApiException failure) {
        return failure.expression() != null && failure.expression().startsWith("entry[") ? failure : failure.at(e.where());
    }
}
