package dev.fhirhook.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

/**
 * {@code --policy}: with the admin client, a project of its own, an AccessPolicy with the given
 * {@code resource[]} list, and a ClientApplication whose membership has that policy; the bench then acts as
 * that client, so every request pays for the policy (its decisions, criteria in the SQL, hidden fields).
 */
final class PolicyClient {
    private static final Pattern ID_IN_LOCATION = Pattern.compile("/(?:Project|AccessPolicy|ClientApplication|ProjectMembership)/([A-Za-z0-9.-]{1,64})(?:/|$)");

    private PolicyClient() {}

    static Target create(Target admin, String url, String resources) throws IOException {
        String secret = "bench-" + Long.toHexString(new SplittableRandom().nextLong()) + Long.toHexString(System.nanoTime());
        try (var c = admin.open(true)) {
            String projectId = created(admin, c, "Project", "{\"resourceType\":\"Project\",\"name\":\"policy bench\"}");
            String policyId = created(admin, c, "AccessPolicy", """
                    {"resourceType":"AccessPolicy","name":"bench","meta":{"project":"%s"},"resource":%s}""".formatted(projectId, resources));
            String clientId = created(admin, c, "ClientApplication", """
                    {"resourceType":"ClientApplication","name":"policy bench","status":"active","secret":"%s","meta":{"project":"%s"}}"""
                    .formatted(secret, projectId));
            created(admin, c, "ProjectMembership", """
                    {"resourceType":"ProjectMembership","meta":{"project":"%1$s"},"project":{"reference":"Project/%1$s"},
                     "user":{"reference":"ClientApplication/%2$s"},"profile":{"reference":"ClientApplication/%2$s"},
                     "accessPolicy":{"reference":"AccessPolicy/%3$s"}}""".formatted(projectId, clientId, policyId));
            return Target.of(url, clientId, secret);
        }
    }

    private static String created(Target admin, HttpConnection c, String type, String body) throws IOException {
        var r = c.send("POST", admin.path("fhir/R4/" + type), HttpScenario.FHIR_JSON, body.getBytes(StandardCharsets.UTF_8));
        if (r.status() != 201) throw new IllegalStateException("POST " + type + " answered " + r.status() + ": " + c.bodyText());
        var m = ID_IN_LOCATION.matcher(r.location() == null ? "" : r.location());
        if (!m.find()) throw new IllegalStateException("no id in Location " + r.location());
        return m.group(1);
    }
}
