package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.api.ApiException;
import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.PolicyReferences;
import dev.fhirhook.auth.Principal;
import dev.fhirhook.auth.ProjectAdmins;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.OperationInput;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceValidation;
import dev.fhirhook.fhir.Scope;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Creates a Bot together with its ProjectMembership ({@code user} and {@code profile} = the Bot), in one
 * transaction: a Bot without a membership has no identity to run as, so one is never left behind. Two doors,
 * as in Medplum: {@code POST /admin/projects/{projectId}/bot} (project admins and super admins, JSON body) and
 * {@code POST /fhir/R4/Bot/$init} (members with {@code ProjectMembership.admin}, Parameters). Only super admins
 * may set {@code system}; the store enforces that and the {@code timeout} range on every Bot write. Thread-safe.
 */
public final class BotCreation {
    static final Set<String> RUNTIMES = Set.of("awslambda", "vmcontext", "fission");
    static final String DEFAULT_RUNTIME = "awslambda";
    static final Set<String> INPUTS = Set.of("name", "description", "accessPolicy", "runtimeVersion", "sourceCode",
            "executableCode", "system", "timeout");
    /** Medplum's test for base64 text; decoding must then succeed as well. */
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");

    /** Stored as the source of a bot created without any, so an editor opens on a handler with the right signature. */
    static final String TEMPLATE = """
            import { BotEvent, MedplumClient } from '@medplum/core';

            /**
             * Runs once for every event sent to this bot: a webhook delivery or a $execute call.
             * event.input is the request body (parsed when it is JSON), event.secrets the project's secrets.
             */
            export async function handler(medplum: MedplumClient, event: BotEvent): Promise<any> {
              // Turn event.input into FHIR resources here, for example with medplum.createResource(...).
            }
            """;

    private final ResourceStore store;
    private final ProjectAdmins admins;

    public BotCreation(ResourceStore store, ProjectAdmins admins) {
        this.store = store;
        this.admins = admins;
    }

    /** {@code POST /admin/projects/{projectId}/bot}: 201 with the Bot. */
    public ApiResponse createInProject(ApiRequest request, Principal principal) {
        var acting = admins.requireAdmin(principal, request.pathParam("projectId"));
        ObjectNode body = OperationInput.jsonObject(request);
        var input = new java.util.LinkedHashMap<String, JsonNode>();
        INPUTS.forEach(name -> {
            if (body.has(name)) input.put(name, body.get(name));
        });
        return create(request, acting, input);
    }

    /** {@code POST /fhir/R4/Bot/$init}: 201 with the Bot. */
    public ApiResponse init(ApiRequest request, Principal principal) {
        var acting = admins.requireMembershipAdmin(principal);
        return create(request, acting, OperationInput.read(request, INPUTS));
    }

    private ApiResponse create(ApiRequest request, ProjectAdmins.Acting acting, Map<String, JsonNode> given) {
        var input = new java.util.HashMap<String, JsonNode>();
        given.forEach((k, v) -> {
            if (!v.isMissingNode()) input.put(k, v); // a Parameters entry without a value is no value
        });
        var bot = FhirJson.mapper().createObjectNode();
        bot.put("resourceType", "Bot");
        JsonNode name = input.get("name");
        if (name == null || name.isMissingNode() || (name.isTextual() && name.asText().isBlank())) {
            throw ApiException.badRequest("bot.name-required", "Bot name is required").at("name");
        }
        bot.put("name", requireText(name, "name"));
        if (input.containsKey("description")) bot.put("description", requireText(input.get("description"), "description"));
        String runtime = input.containsKey("runtimeVersion") ? requireText(input.get("runtimeVersion"), "runtimeVersion")
                : DEFAULT_RUNTIME;
        if (!RUNTIMES.contains(runtime)) {
            throw ApiException.badRequest("bot.unsupported-runtime", "Unsupported bot runtime").at("runtimeVersion");
        }
        bot.put("runtimeVersion", runtime);
        // checked here for types only; who may set them and their range are the store's rules for every Bot write
        if (input.containsKey("system")) bot.set("system", input.get("system"));
        if (input.containsKey("timeout")) bot.set("timeout", input.get("timeout"));
        var stored = store.inTransaction((tx, jdbc) -> {
            JsonNode source = input.get("sourceCode");
            bot.set("sourceCode", source != null ? attachment(tx, acting, source, "sourceCode") : template(tx, acting.scope()));
            JsonNode executable = input.get("executableCode");
            if (executable != null) bot.set("executableCode", attachment(tx, acting, executable, "executableCode"));
            ResourceValidation.check(bot);
            var created = tx.create(acting.scope(), bot);
            var membership = ProjectAdmins.membership(acting.projectId(), "Bot/" + created.id());
            JsonNode policy = input.get("accessPolicy");
            if (policy != null) membership.set("accessPolicy", PolicyReferences.require(tx, acting.projectId(), policy, "accessPolicy"));
            // elevated: a membership's user is read-only for project admins, and this one must name the new Bot
            tx.create(acting.elevated(), membership);
            return created;
        });
        return ApiResponse.json(201, ApiResponse.FHIR_JSON, stored.content().getBytes(StandardCharsets.UTF_8))
                .withHeader("Location", request.baseUrl() + "fhir/R4/Bot/" + stored.id())
                .withHeader("ETag", stored.etag());
    }

    /**
     * An attachment as Medplum's {@code createBot} takes it: a {@code url} naming a Binary (which must be one of
     * this project's, so a bot cannot be pointed at another project's code), or base64 {@code data}, which is
     * stored as a new Binary that the attachment then names.
     */
    private static ObjectNode attachment(ResourceStore tx, ProjectAdmins.Acting acting, JsonNode given, String field) {
        if (!given.isObject()) throw invalidAttachment("Missing data or url", field);
        JsonNode url = given.get("url");
        String contentType = optionalText(given, "contentType", field);
        String title = optionalText(given, "title", field);
        if (url != null) {
            if (!url.isTextual() || !url.asText().startsWith("Binary/")) {
                throw invalidAttachment("URL must start with Binary/", field);
            }
            String id = url.asText().substring("Binary/".length());
            boolean ours = ResourceStore.ID.matcher(id).matches() && tx.findAnyProject("Binary", id)
                    .filter(b -> b.projectId().equals(acting.projectId())).isPresent();
            if (!ours) throw invalidAttachment("Binary not found", field);
            var out = FhirJson.mapper().createObjectNode();
            if (contentType != null) out.put("contentType", contentType);
            if (title != null) out.put("title", title);
            return out.put("url", "Binary/" + id);
        }
        JsonNode data = given.get("data");
        if (data == null || !data.isTextual() || data.asText().isEmpty()) throw invalidAttachment("Missing data or url", field);
        if (!BASE64.matcher(data.asText()).matches()) throw invalidAttachment("Invalid base64 data", field);
        try {
            Base64.getDecoder().decode(data.asText());
        } catch (IllegalArgumentException e) {
            throw invalidAttachment("Invalid base64 data", field);
        }
        return binary(tx, acting.scope(), contentType != null ? contentType : "text/javascript",
                title != null ? title : "index.js", data.asText());
    }

    private static ObjectNode template(ResourceStore tx, Scope scope) {
        String data = Base64.getEncoder().encodeToString(TEMPLATE.getBytes(StandardCharsets.UTF_8));
        return binary(tx, scope, "text/typescript", "index.ts", data);
    }

    /** Stores the code as a Binary in the caller's scope and returns the attachment that names it. */
    private static ObjectNode binary(ResourceStore tx, Scope scope, String contentType, String title, String base64) {
        var binary = FhirJson.mapper().createObjectNode();
        binary.put("resourceType", "Binary").put("contentType", contentType).put("data", base64);
        ResourceValidation.check(binary);
        var stored = tx.create(scope, binary);
        return FhirJson.mapper().createObjectNode().put("contentType", contentType).put("title", title)
                .put("url", "Binary/" + stored.id());
    }

    private static String requireText(JsonNode value, String field) {
        if (value == null || !value.isTextual()) {
            throw ApiException.badRequest("bot.invalid-field", "Invalid " + field + ": must be a string").at(field);
        }
        return value.asText();
    }

    private static String optionalText(JsonNode attachment, String name, String field) {
        JsonNode value = attachment.get(name);
        if (value == null) return null;
        if (!value.isTextual()) throw invalidAttachment(name + " must be a string", field);
        return value.asText();
    }

    private static ApiException invalidAttachment(String why, String field) {
        return ApiException.badRequest("bot.invalid-attachment", "Invalid attachment: " + why).at(field);
    }
}
