package dev.fhirhook.fhir;

import dev.fhirhook.api.ApiException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;

/** The resource types this server stores: every FHIR R4 type plus Medplum's administrative types. */
public final class ResourceTypes {
    /** Medplum's administrative types, served with the same interactions as the R4 types. */
    public static final Set<String> ADMIN = Set.of(
            "Project", "ProjectMembership", "ClientApplication", "AccessPolicy", "Bot", "AsyncJob",
            "JsonWebKey", "Login", "User", "UserConfiguration");

    private final Set<String> all;

    private ResourceTypes(Set<String> all) {
        this.all = Collections.unmodifiableSet(all);
    }

    public static ResourceTypes load() {
        var types = new LinkedHashSet<String>();
        try (var in = Objects.requireNonNull(ResourceTypes.class.getResourceAsStream("/fhir/r4-resource-types.txt"));
                var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            reader.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(types::add);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the R4 resource type list", e);
        }
        types.addAll(ADMIN.stream().sorted().toList());
        return new ResourceTypes(types);
    }

    public boolean known(String type) { return all.contains(type); }

    /** {@code type} when this server stores it, else 400 {@code Unsupported resource type} naming it. */
    public String require(String type) {
        if (!known(type)) {
            throw ApiException.badRequest("fhir.unsupported-type", "Unsupported resource type")
                    .at(type.length() > 64 ? type.substring(0, 64) : type);
        }
        return type;
    }

    public Set<String> all() { return all; }
}
