package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.api.Outcomes;
import dev.fhirhook.api.QueryString;
import dev.fhirhook.fhir.search.ConditionalSearch;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.Set;

/**
 * The FHIR REST interactions on single resources and their history: create, read, vread, update
 * (update-as-create too), JSON Patch, delete, instance and type history. Input is validated here
 * before anything reaches the store; every failure is an {@link ApiException}. Thread-safe.
 */
public final class ResourceApi {
    public static final int DEFAULT_HISTORY_COUNT = 100;
    public static final int MAX_HISTORY_COUNT = 1000;
    private static final Set<String> JSON_TYPES = Set.of("application/fhir+json", "application/json");
    private static final Set<String> PATCH_TYPES = Set.of("application/json-patch+json", "application/json");

    private final ResourceStore store;
    private final ResourceTypes types;
    private final ConditionalSearch conditional;
    private final WriteCheck writeCheck;
    private final JsonPatch.Limits patchLimits;

    /**
     * @param writeCheck the features' checks on every written resource (see {@link WriteCheck})
     * @param maxJsonBytes the largest request body ({@code max-json-size}); a patched resource may be no larger
     */
    public ResourceApi(ResourceStore store, ResourceTypes types, ConditionalSearch conditional, WriteCheck writeCheck,
            long maxJsonBytes) {
        this.store = store;
        this.types = types;
        this.conditional = conditional;
        this.writeCheck = writeCheck;
        this.patchLimits = new JsonPatch.Limits(maxJsonBytes, FhirJson.MAX_DEPTH);
    }

    /** The same interactions on another store (a transaction's). */
    ResourceApi on(ResourceStore other) {
        return new ResourceApi(other, types, conditional, writeCheck, patchLimits.maxBytes());
    }

    ResourceStore store() {
        return store;
    }

    ConditionalSearch conditional() {
        return conditional;
    }

    boolean knowsType(String type) {
        return types.known(type);
    }

    /** Create; with {@code If-None-Exist} only when no resource matches those criteria (200 with it if one does). */
    public ApiResponse create(ApiRequest request, Scope scope) {
        String type = requireType(request);
        ObjectNode resource = resourceBody(request, type);
        var ifNoneExist = request.header("if-none-exist");
        if (ifNoneExist.isEmpty()) {
            var created = store.create(scope, resource);
            return written(request, created, 201).withHeader("Location", versionUrl(request, created));
        }
        var criteria = QueryString.parse(ifNoneExist.get());
        return conditional.serialized(scope, type, criteria, () -> store.inTransaction((tx, jdbc) -> {
            var ids = conditional.lockAndMatch(jdbc, type, criteria, scope, request.baseUrl());
            if (ids.size() > 1) throw ApiException.multipleMatches();
            if (ids.size() == 1) return written(request, tx.read(scope, type, ids.getFirst()), 200);
            var created = tx.create(scope, resource);
            return written(request, created, 201).withHeader("Location", versionUrl(request, created));
        }));
    }

    /** {@code PUT /{type}?criteria}: update the one match, create when none, 412 when several. */
    public ApiResponse conditionalUpdate(ApiRequest request, Scope scope) {
        String type = requireType(request);
        ObjectNode resource = resourceBody(request, type);
        return conditional.serialized(scope, type, request.query(), () -> store.inTransaction((tx, jdbc) -> {
            var found = conditional.lockAndFind(jdbc, type, request.query(), scope, request.baseUrl());
            if (found.size() > 1) throw ApiException.multipleMatches();
            JsonNode bodyId = resource.get("id");
            if (found.isEmpty()) {
                if (bodyId == null) {
                    var created = tx.create(scope, resource);
                    return written(request, created, 201).withHeader("Location", versionUrl(request, created));
                }
                // update-as-create: the id must be free, or the write would replace a resource the criteria did
                // not match (FHIR R5 names this case: 409)
                if (tx.existsCurrent(scope, type, bodyId.asText())) {
                    throw ApiException.conflict("fhir.conditional-id-taken",
                            "No resource matches the criteria, and the id in the body belongs to another resource");
                }
                var written = tx.update(scope, resource, ifMatch(request), "PUT");
                var response = written(request, written.resource(), written.created() ? 201 : 200);
                return written.created() ? response.withHeader("Location", versionUrl(request, written.resource())) : response;
            }
            var current = found.getFirst();
            if (bodyId != null && !bodyId.asText().equals(current.id())) {
                throw ApiException.badRequest("fhir.incorrect-id", "Resource id does not match the resource found by the criteria").at("id");
            }
            resource.put("id", current.id());
            var written = tx.updateLocked(scope, resource, ifMatch(request), "PUT", current);
            return written(request, written.resource(), 200);
        }));
    }

    /** {@code PATCH /{type}?criteria}: patch the one match; 404 when none, 412 when several. */
    public ApiResponse conditionalPatch(ApiRequest request, Scope scope) {
        String type = requireType(request);
        return store.inTransaction((tx, jdbc) -> {
            var ids = conditional.lockAndMatch(jdbc, type, request.query(), scope, request.baseUrl());
            if (ids.size() > 1) throw ApiException.multipleMatches();
            if (ids.isEmpty()) throw ApiException.notFound();
            return patch(request, tx, scope, type, ids.getFirst());
        });
    }

    /** {@code DELETE /{type}?criteria}: delete the one match (nothing when none), 412 when several. */
    public ApiResponse conditionalDelete(ApiRequest request, Scope scope) {
        String type = requireType(request);
        return store.inTransaction((tx, jdbc) -> {
            var ids = conditional.lockAndMatch(jdbc, type, request.query(), scope, request.baseUrl());
            if (ids.size() > 1) throw ApiException.multipleMatches();
            if (ids.size() == 1) tx.delete(scope, type, ids.getFirst(), ifMatch(request));
            return outcome(200, Outcomes.allOk(request.ids()));
        });
    }

    public ApiResponse read(ApiRequest request, Scope scope) {
        String type = requireType(request);
        String id = requireId(request);
        return resourceResponse(200, store.read(scope, type, id));
    }

    public ApiResponse vread(ApiRequest request, Scope scope) {
        String type = requireType(request);
        String id = requireId(request);
        return resourceResponse(200, store.readVersion(scope, type, id, request.pathParam("vid")));
    }

    public ApiResponse update(ApiRequest request, Scope scope) {
        String type = requireType(request);
        String id = requireId(request);
        ObjectNode resource = resourceBody(request, type);
        JsonNode bodyId = resource.get("id");
        if (bodyId == null) throw ApiException.badRequest("fhir.missing-id", "Missing id").at("id");
        if (!bodyId.isTextual() || !bodyId.asText().equals(id)) {
            throw ApiException.badRequest("fhir.incorrect-id", "Incorrect ID").at("id");
        }
        var written = store.update(scope, resource, ifMatch(request), "PUT");
        var response = written(request, written.resource(), written.created() ? 201 : 200);
        return written.created() ? response.withHeader("Location", versionUrl(request, written.resource())) : response;
    }

    public ApiResponse patch(ApiRequest request, Scope scope) {
        return patch(request, store, scope, requireType(request), requireId(request));
    }

    private ApiResponse patch(ApiRequest request, ResourceStore store, Scope scope, String type, String id) {
        request.requireMediaType(PATCH_TYPES, false);
        JsonNode patch = FhirJson.parse(request.body());
        // a patch is an update: the version it applies to is the one the caller may update, as that entry shows it
        var current = store.read(scope, type, id, dev.fhirhook.policy.Interaction.UPDATE);
        // held to a request body's limits while it is applied: a few copy ops would otherwise amplify a small patch
        JsonNode patched = JsonPatch.apply(current.json(), patch, patchLimits);
        if (!(patched instanceof ObjectNode resource)) {
            throw ApiException.badRequest("fhir.invalid-patch", "Invalid JSON Patch: the result is not a resource");
        }
        if (!type.equals(resource.path("resourceType").asText(null))) {
            throw ApiException.badRequest("fhir.incorrect-type", "Incorrect resource type").at("resourceType");
        }
        if (!id.equals(resource.path("id").asText(null))) {
            throw ApiException.badRequest("fhir.incorrect-id", "Incorrect ID").at("id");
        }
        ResourceValidation.check(resource);
        writeCheck.check(type, resource);
        // A patch is relative to the version it was computed on, so it is always conditional on that one.
        String expected = ifMatch(request).orElse(current.versionId().toString());
        var written = store.update(scope, resource, Optional.of(expected), "PATCH");
        return written(request, written.resource(), 200);
    }

    public ApiResponse delete(ApiRequest request, Scope scope) {
        String type = requireType(request);
        String id = requireId(request);
        store.delete(scope, type, id, ifMatch(request));
        return outcome(200, Outcomes.allOk(request.ids()));
    }

    public ApiResponse instanceHistory(ApiRequest request, Scope scope) {
        String type = requireType(request);
        String id = requireId(request);
        var paging = HistoryPaging.of(request);
        var page = store.instanceHistory(scope, type, id, paging.count(), paging.offset(), paging.since());
        return HistoryBundle.render(request, page, paging);
    }

    public ApiResponse typeHistory(ApiRequest request, Scope scope) {
        String type = requireType(request);
        var paging = HistoryPaging.of(request);
        var page = store.typeHistory(scope, type, paging.count(), paging.offset(), paging.since());
        return HistoryBundle.render(request, page, paging);
    }

    // --- request parts ----------------------------------------------------------------------------

    String requireType(ApiRequest request) {
        return types.require(request.pathParam("type"));
    }

    private static String requireId(ApiRequest request) {
        String id = request.pathParam("id");
        ResourceStore.requireValidId(id);
        return id;
    }

    ObjectNode resourceBody(ApiRequest request, String type) {
        request.requireMediaType(JSON_TYPES, true);
        JsonNode body = FhirJson.parse(request.body());
        if (!(body instanceof ObjectNode resource)) {
            throw ApiException.badRequest("fhir.not-a-resource", "Content could not be parsed: expected a JSON object");
        }
        JsonNode resourceType = resource.get("resourceType");
        if (resourceType == null) throw ApiException.badRequest("fhir.missing-type", "Missing resourceType").at("resourceType");
        if (!resourceType.isTextual() || !types.known(resourceType.asText())) {
            throw ApiException.badRequest("fhir.unsupported-type", "Unsupported resource type").at("resourceType");
        }
        if (!type.equals(resourceType.asText())) {
            throw ApiException.badRequest("fhir.incorrect-type", "Incorrect resource type").at("resourceType");
        }
        ResourceValidation.check(resource);
        writeCheck.check(type, resource);
        return resource;
    }

    /** The version named by {@code If-Match}: {@code W/"<v>"}, {@code "<v>"} or a bare {@code <v>}. */
    static Optional<String> ifMatch(ApiRequest request) {
        return request.header("if-match").map(value -> {
            String v = value.strip();
            if (v.startsWith("W/")) v = v.substring(2);
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) v = v.substring(1, v.length() - 1);
            if (v.isEmpty() || v.length() > 64) {
                throw ApiException.badRequest("fhir.invalid-if-match", "Invalid If-Match header").at("If-Match");
            }
            return v;
        });
    }

    // --- responses --------------------------------------------------------------------------------

    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    /** An instant as an HTTP date ({@code Last-Modified}). */
    public static String httpDate(Instant instant) {
        return HTTP_DATE.format(instant);
    }

    static ApiResponse resourceResponse(int status, StoredResource resource) {
        return ApiResponse.json(status, ApiResponse.FHIR_JSON, resource.content().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .withHeader("ETag", resource.etag())
                .withHeader("Last-Modified", httpDate(resource.lastUpdated()));
    }

    static ApiResponse outcome(int status, ObjectNode outcome) {
        return ApiResponse.json(status, ApiResponse.FHIR_JSON, FhirJson.bytes(outcome));
    }

    /** Honours {@code Prefer: return=minimal | representation | OperationOutcome}. */
    static ApiResponse written(ApiRequest request, StoredResource resource, int status) {
        String prefer = request.header("prefer").orElse("");
        ApiResponse response;
        if (prefer.contains("return=minimal")) {
            response = ApiResponse.empty(status);
        } else if (prefer.contains("return=OperationOutcome")) {
            response = outcome(status, status == 201 ? Outcomes.created(request.ids()) : Outcomes.allOk(request.ids()));
        } else {
            return resourceResponse(status, resource);
        }
        return response.withHeader("ETag", resource.etag())
                .withHeader("Last-Modified", httpDate(resource.lastUpdated()));
    }

    static String versionUrl(ApiRequest request, StoredResource resource) {
        return request.baseUrl() + "fhir/R4/" + resource.type() + "/" + resource.id() + "/_history/" + resource.versionId();
    }
}
