package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.GenerationCache;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The secrets a bot run sees (medplum-compat §7): ProjectSettings by name, merged lowest priority first —
 * the bot's own project (only when it differs from the run-as project), then the run-as project; in each,
 * {@code systemSecret} (only for {@code Bot.system} bots) before {@code secret}.
 *
 * <p>Every run needs them, so each project's {@code secret} and {@code systemSecret} are cached for {@link #TTL}
 * instead of reading and parsing the Project per run. An entry is dropped as soon as a write of a Project (or
 * any other security type) commits in this process ({@link ResourceStore#securityGeneration()}), so a changed
 * secret applies to the next run here and to other nodes within the TTL. Projects that do not exist are not
 * cached. Thread-safe.
 */
public final class Secrets {
    static final Duration TTL = Duration.ofSeconds(10);
    static final int MAX_ENTRIES = 10_000;

    /** A project's two lists of settings. */
    private record Settings(JsonNode secret, JsonNode systemSecret) {}

    private final ResourceStore store;
    private final GenerationCache<String, Settings> cache;

    public Secrets(ResourceStore store, Clock clock) {
        this.store = store;
        this.cache = new GenerationCache<>(clock, TTL, store::securityGeneration, MAX_ENTRIES);
    }

    /**
     * @param botJson the Bot's content, already parsed by the caller
     * @return an object of name → the whole ProjectSetting ({@code {name, valueString|...}}), the caller's to change
     */
    public ObjectNode forRun(StoredResource bot, JsonNode botJson, String runAsProjectId) {
        boolean system = botJson.path("system").asBoolean(false);
        var merged = JsonNodeFactory.instance.objectNode();
        if (!bot.projectId().equals(runAsProjectId)) addProject(merged, bot.projectId(), system);
        addProject(merged, runAsProjectId, system);
        return merged;
    }

    /** One secret of the run-as project by name, as {@code valueString} (other value types as their text). */
    public Optional<String> value(StoredResource bot, JsonNode botJson, String runAsProjectId, String name) {
        JsonNode setting = forRun(bot, botJson, runAsProjectId).get(name);
        if (setting == null) return Optional.empty();
        for (String field : new String[] {"valueString", "valueInteger", "valueDecimal", "valueBoolean"}) {
            if (setting.has(field)) return Optional.of(setting.get(field).asText());
        }
        return Optional.empty();
    }

    private void addProject(ObjectNode merged, String projectId, boolean system) {
        var project = project(projectId);
        if (project.isEmpty()) return;
        if (system) addAll(merged, project.get().systemSecret());
        addAll(merged, project.get().secret());
    }

    private Optional<Settings> project(String projectId) {
        var lookup = cache.lookup(projectId);
        if (lookup.hit().isPresent()) return lookup.hit();
        var project = store.findAnyProject("Project", projectId).map(StoredResource::json);
        if (project.isEmpty()) {
            lookup.forget();
            return Optional.empty();
        }
        return Optional.of(lookup.keep(new Settings(project.get().path("secret"), project.get().path("systemSecret"))));
    }

    /** Copies each setting: the cached ones are shared by every run and must not change with a caller's object. */
    private static void addAll(ObjectNode merged, JsonNode settings) {
        for (JsonNode setting : settings) {
            if (setting.path("name").isTextual()) merged.set(setting.get("name").asText(), setting.deepCopy());
        }
    }
}
