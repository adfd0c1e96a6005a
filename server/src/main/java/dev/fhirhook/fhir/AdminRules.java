package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.JsonNode;
import dev.fhirhook.api.ApiException;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What only the super admin may do, whatever else a principal is allowed: touch the server's own types
 * (signing keys, logins) and create Projects or change the Project fields that grant server-wide power.
 * Without this a project client could PUT {@code superAdmin: true} on its own Project. Pure.
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
}
