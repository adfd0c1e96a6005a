package dev.fhirhook.auth;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.config.Config;
import dev.fhirhook.fhir.FhirJson;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.Scope;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the super-admin project and its ClientApplication on an empty database. Configured credentials
 * are used as given (and a changed secret is applied on the next start); otherwise they are generated and
 * written to {@code <data>/admin-client.json} with mode 0600.
 */
public final class Bootstrap {
    private static final Logger log = LoggerFactory.getLogger(Bootstrap.class);
    public static final String CREDENTIALS_FILE = "admin-client.json";

    private final ResourceStore store;
    private final Config config;

    public Bootstrap(ResourceStore store, Config config) {
        this.store = store;
        this.config = config;
    }

    /** The bootstrap client's id and secret, when this run knows the secret. */
    public record AdminClient(String clientId, Optional<String> secret) {}

    public AdminClient run() {
        var configured = config.admin();
        Optional<ObjectNode> existingProject = findSuperAdminProject();
        if (existingProject.isEmpty()) {
            String projectId = UUID.randomUUID().toString();
            var scope = Scope.system(projectId);
            var project = FhirJson.mapper().createObjectNode();
            project.put("resourceType", "Project").put("id", projectId).put("name", "Super Admin").put("superAdmin", true);
            store.update(scope, project, Optional.empty(), "PUT");
            String clientId = configured.clientId().orElse(UUID.randomUUID().toString());
            String secret = configured.clientSecret().orElse(generateSecret());
            var client = FhirJson.mapper().createObjectNode();
            client.put("resourceType", "ClientApplication").put("id", clientId).put("name", "Super Admin Client")
                    .put("status", "active").put("secret", secret);
            store.update(scope, client, Optional.empty(), "PUT");
            createAdminMembership(scope, projectId, clientId);
            if (configured.clientId().isEmpty()) writeCredentials(clientId, secret);
            log.info("created the super-admin project {} and client {}", projectId, clientId);
            return new AdminClient(clientId, Optional.of(secret));
        }
        if (configured.clientId().isPresent()) ensureConfiguredClient(existingProject.get().path("id").asText());
        return new AdminClient(configured.clientId().orElse(""), configured.clientSecret());
    }

    private Optional<ObjectNode> findSuperAdminProject() {
        return store.findSuperAdminProject().map(r -> r.json());
    }

    /** Configured credentials are the source of truth: create the client or reset its secret to match. */
    private void ensureConfiguredClient(String projectId) {
        String clientId = config.admin().clientId().orElseThrow();
        String secret = config.admin().clientSecret().orElseThrow();
        var scope = Scope.system(projectId);
        var existing = store.findAnyProject("ClientApplication", clientId);
        if (existing.isPresent() && !existing.get().projectId().equals(projectId)) {
            throw new IllegalStateException("admin-client-id " + clientId + " names a ClientApplication outside the "
                    + "super-admin project; choose another id");
        }
        if (existing.isPresent() && secret.equals(existing.get().json().path("secret").asText())) return;
        var client = existing.map(r -> r.json()).orElseGet(() -> {
            var c = FhirJson.mapper().createObjectNode();
            c.put("resourceType", "ClientApplication").put("id", clientId).put("name", "Super Admin Client");
            return c;
        });
        client.put("secret", secret).put("status", "active");
        store.update(scope, client, Optional.empty(), "PUT");
        if (store.findMembershipByUser(projectId, "ClientApplication/" + clientId).isEmpty()) {
            createAdminMembership(scope, projectId, clientId);
        }
        log.info("super-admin client {} set from configuration", clientId);
    }

    private void createAdminMembership(Scope scope, String projectId, String clientId) {
        var membership = FhirJson.mapper().createObjectNode();
        membership.put("resourceType", "ProjectMembership");
        membership.putObject("project").put("reference", "Project/" + projectId);
        membership.putObject("user").put("reference", "ClientApplication/" + clientId);
        membership.putObject("profile").put("reference", "ClientApplication/" + clientId);
        membership.put("admin", true).put("active", true);
        store.create(scope, membership);
    }

    private void writeCredentials(String clientId, String secret) {
        Path file = config.dataDir().resolve(CREDENTIALS_FILE);
        try {
            Files.createDirectories(config.dataDir());
            var json = FhirJson.mapper().createObjectNode().put("clientId", clientId).put("clientSecret", secret);
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, FhirJson.text(json) + "\n");
            log.info("generated super-admin credentials were written to {} (mode 0600)", file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    static String generateSecret() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
