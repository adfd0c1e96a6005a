package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

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

    private record Cached(JsonNode secret, JsonNode systemSecret, long generation, Instant expires) {}

    private final ResourceStore store;
    private final Clock clock;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();

    public Secrets(ResourceStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
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

    private Optional<Cached> project(String projectId) {
        long generation = store.securityGeneration(); // read before the look-up: a write after it invalidates the entry
        Instant now = clock.instant();
        var cached = cache.get(projectId);
        if (cached != null && cached.generation() == generation && now.isBefore(cached.expires())) {
            return Optional.of(cached);
        }
        var project = store.findAnyProject("Project", projectId).map(StoredResource::json);
        if (project.isEmpty()) {
            cache.remove(projectId);
            return Optional.empty();
        }
        var loaded = new Cached(project.get().path("secret"), project.get().path("systemSecret"), generation, now.plus(TTL));
        if (cache.size() >= MAX_ENTRIES) cache.clear(); // bounded; projects in use are back after one look-up
        cache.put(projectId, loaded);
        return Optional.of(loaded);
    }

    /** Copies each setting: the cached ones are shared by every run and must not change with a caller's object. */
    private static void addAll(ObjectNode merged, JsonNode settings) {
        for (JsonNode setting : settings) {
            if (setting.path("name").isTextual()) merged.set(setting.get("name").asText(), setting.deepCopy());
        }
    }
}
