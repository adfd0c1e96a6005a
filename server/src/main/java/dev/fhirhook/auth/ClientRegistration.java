package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.OperationInput;
import dev.fhirhook.fhir.PolicyReferences;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceValidation;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code POST /admin/projects/{projectId}/client}: a ClientApplication with a generated secret and its
 * ProjectMembership, written in one transaction so that no client exists without the membership that decides
 * what it may do. Project admins and super admins only. Thread-safe.
 */
public final class ClientRegistration {
    /** Shorter caller-chosen secrets are refused: the generated ones have 256 bits. */
    static final int MIN_SECRET_LENGTH = 16;
    private static final Pattern LIFETIME = Pattern.compile("\\d{1,12}[smhdwy]");
    private static final Set<String> STATUSES = Set.of("active", "off", "error");

    /** The JSON kind of a ClientApplication field a creator may set. */
    private enum Kind { STRING, BOOLEAN, STRING_ARRAY, OBJECT }

    /**
     * The fields taken from the body (Medplum's ClientApplication fields); others, such as {@code id},
     * {@code meta} and {@code retiringSecret}, are the server's and are ignored.
     */
    private static final Map<String, Kind> FIELDS = fields();

    private final ResourceStore store;
    private final ProjectAdmins admins;

    public ClientRegistration(ResourceStore store, ProjectAdmins admins) {
        this.store = store;
        this.admins = admins;
    }

    /**
     * Body: {@code name} (required) and other ClientApplication fields, {@code accessPolicy} (a reference to an
     * AccessPolicy of the project) and {@code admin} (makes the membership a project admin, so that a new
     * project can be run by its own client). 201 with the ClientApplication, secret included: this is the one
     * answer that shows it to the admin who asked.
     */
    public ApiResponse create(ApiRequest request, Principal principal) {
        var acting = admins.requireAdmin(principal, request.pathParam("projectId"));
        ObjectNode body = OperationInput.jsonObject(request);
        ObjectNode client = clientFrom(body);
        JsonNode policy = body.get("accessPolicy");
        boolean admin = optionalBoolean(body, "admin");
        var created = store.inTransaction((tx, jdbc) -> {
            var stored = tx.create(acting.scope(), client);
            var membership = ProjectAdmins.membership(acting.projectId(), "ClientApplication/" + stored.id());
            if (policy != null) membership.set("accessPolicy", PolicyReferences.require(tx, acting.projectId(), policy, "accessPolicy"));
            if (admin) membership.put("admin", true);
            tx.create(acting.elevated(), membership);
            return stored;
        });
        return ApiResponse.json(201, ApiResponse.FHIR_JSON, created.content().getBytes(StandardCharsets.UTF_8))
                .withHeader("Location", request.baseUrl() + "fhir/R4/ClientApplication/" + created.id())
                .withHeader("ETag", created.etag());
    }

    /** The ClientApplication to create, every field checked; 400 naming the first that is wrong. */
    static ObjectNode clientFrom(ObjectNode body) {
        JsonNode name = body.get("name");
        if (name == null || (name.isTextual() && name.asText().isBlank())) {
            throw ApiException.badRequest("admin.name-required", "Client name is required").at("name");
        }
        var client = FhirJson.mapper().createObjectNode();
        client.put("resourceType", "ClientApplication");
        for (var field : FIELDS.entrySet()) {
            JsonNode value = body.get(field.getKey());
            if (value == null) continue;
            boolean ok = switch (field.getValue()) {
                case STRING -> value.isTextual();
                case BOOLEAN -> value.isBoolean();
                case OBJECT -> value.isObject();
                case STRING_ARRAY -> value.isArray() && !value.isEmpty()
                        && java.util.stream.StreamSupport.stream(value.spliterator(), false).allMatch(JsonNode::isTextual);
            };
            if (!ok) throw invalid(field.getKey(), "must be " + describe(field.getValue()));
            client.set(field.getKey(), value);
        }
        if (client.has("status") && !STATUSES.contains(client.path("status").asText())) {
            throw invalid("status", "must be active, off or error");
        }
        for (String lifetime : new String[] {"accessTokenLifetime", "refreshTokenLifetime"}) {
            if (client.has(lifetime) && !LIFETIME.matcher(client.path(lifetime).asText()).matches()) {
                throw invalid(lifetime, "must be a number followed by s, m, h, d, w or y");
            }
        }
        if (client.has("secret") && client.path("secret").asText().length() < MIN_SECRET_LENGTH) {
            throw ApiException.badRequest("admin.weak-secret",
                    "Client secret must be at least " + MIN_SECRET_LENGTH + " characters").at("secret");
        }
        if (!client.has("secret")) client.put("secret", Bootstrap.generateSecret());
        ResourceValidation.check(client);
        return client;
    }

    static boolean optionalBoolean(ObjectNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null) return false;
        if (!value.isBoolean()) throw invalid(field, "must be true or false");
        return value.asBoolean();
    }

    private static ApiException invalid(String field, String why) {
        return ApiException.badRequest("admin.invalid-field", "Invalid " + field + ": " + why).at(field);
    }

    private static String describe(Kind kind) {
        return switch (kind) {
            case STRING -> "a string";
            case BOOLEAN -> "true or false";
            case OBJECT -> "an object";
            case STRING_ARRAY -> "a non-empty array of strings";
        };
    }

    private static Map<String, Kind> fields() {
        var fields = new LinkedHashMap<String, Kind>();
        fields.put("name", Kind.STRING);
        fields.put("description", Kind.STRING);
        fields.put("secret", Kind.STRING);
        fields.put("status", Kind.STRING);
        fields.put("redirectUri", Kind.STRING);
        fields.put("redirectUris", Kind.STRING_ARRAY);
        fields.put("launchUri", Kind.STRING);
        fields.put("jwksUri", Kind.STRING);
        fields.put("accessTokenLifetime", Kind.STRING);
        fields.put("refreshTokenLifetime", Kind.STRING);
        fields.put("pkceOptional", Kind.BOOLEAN);
        fields.put("allowedOrigin", Kind.STRING_ARRAY);
        fields.put("defaultScope", Kind.STRING_ARRAY);
        fields.put("identityProvider", Kind.OBJECT);
        fields.put("signInForm", Kind.OBJECT);
        return java.util.Collections.unmodifiableMap(fields);
    }
}
