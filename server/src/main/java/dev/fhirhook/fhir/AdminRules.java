package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What only the super admin may do, whatever else a principal is allowed: touch the server's own types
 * (signing keys, logins), create Projects or change the Project fields that grant server-wide power, and set
 * {@code Bot.system} (a system bot receives {@code Project.systemSecret}). Without this a project client could
 * PUT {@code superAdmin: true} on its own Project. Also the range of {@code Bot.timeout}, which the bot runtime
 * trusts. Checked by the store on every write, whatever the path (REST, Bundles, admin routes). Pure.
 */
public final class AdminRules {
    /** Types only the super admin reads or writes. */
    static final Set<String> SUPER_ADMIN_TYPES = Set.of("JsonWebKey", "Login", "DomainConfiguration");
    /** Project fields a project's own clients cannot change. */
    static final List<String> PROTECTED_PROJECT_FIELDS = List.of("superAdmin", "features", "systemSetting", "systemSecret",
            "strictMode", "link");

    private AdminRules() {}

    public static void checkAccess(Scope scope, String type) {
        if (!scope.superAdmin() && SUPER_ADMIN_TYPES.contains(type)) throw ApiException.forbidden("auth.super-admin-only", "Forbidden");
    }

    /**
     * @param written the resource about to be written; protected fields it leaves out are restored into it
     * @param existing the current content, or null when the write creates the resource
     */
    static void checkWrite(Scope scope, String type, com.fasterxml.jackson.databind.node.ObjectNode written, JsonNode existing) {
        checkAccess(scope, type);
        if (type.equals("Bot")) checkBot(scope, written, existing);
        if (scope.superAdmin() || !type.equals("Project")) return;
        if (existing == null) throw ApiException.forbidden("auth.super-admin-only", "Only super admins can create projects");
        for (String field : PROTECTED_PROJECT_FIELDS) {
            JsonNode value = written.get(field);
            if (value == null) {
                // left out: keep what is stored, as Medplum does for read-only fields
                if (existing.has(field)) written.set(field, existing.get(field));
            } else if (!Objects.equals(value, existing.get(field))) {
                throw ApiException.forbidden("auth.protected-field", "Forbidden: only super admins can change Project." + field)
                        .at(field);
            }
        }
    }

    /** The longest run a bot may ask for, in seconds (Medplum's limit). */
    static final int MAX_BOT_TIMEOUT = 900;

    private static void checkBot(Scope scope, com.fasterxml.jackson.databind.node.ObjectNode written, JsonNode existing) {
        JsonNode timeout = written.get("timeout");
        if (timeout != null) {
            if (!timeout.isIntegralNumber() || timeout.asLong() < 1) {
                throw ApiException.badRequest("bot.invalid-timeout",
                        "Invalid Bot timeout: must be a whole number of seconds from 1 to " + MAX_BOT_TIMEOUT).at("timeout");
            }
            if (!timeout.canConvertToInt() || timeout.asInt() > MAX_BOT_TIMEOUT) {
                throw ApiException.badRequest("bot.invalid-timeout",
                        "Bot timeout exceeds allowed maximum of " + MAX_BOT_TIMEOUT + " seconds").at("timeout");
            }
        }
        JsonNode system = written.get("system");
        if (system != null && !system.isBoolean()) {
            throw ApiException.badRequest("bot.invalid-system", "Invalid Bot system: must be true or false").at("system");
        }
        if (scope.superAdmin()) return;
        boolean before = existing != null && existing.path("system").asBoolean(false);
        if (system == null) {
            // left out: keep what is stored, as for the protected Project fields
            if (existing != null && existing.has("system")) written.set("system", existing.get("system"));
        } else if (system.asBoolean() != before) {
            throw ApiException.forbidden("auth.protected-field", "Forbidden: only super admins can set Bot.system").at("system");
        }
    }
}
