package dev.fhirhook.bot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.StoredResource;
import java.util.Optional;

/**
 * The secrets a bot run sees (medplum-compat §7): ProjectSettings by name, merged lowest priority first —
 * the bot's own project (only when it differs from the run-as project), then the run-as project; in each,
 * {@code systemSecret} (only for {@code Bot.system} bots) before {@code secret}. Thread-safe, not cached.
 */
public final class Secrets {
    private final ResourceStore store;

    public Secrets(ResourceStore store) {
        this.store = store;
    }

    /**
     * @param botJson the Bot's content, already parsed by the caller
     * @return an object of name → the whole ProjectSetting ({@code {name, valueString|...}})
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
        var project = store.findAnyProject("Project", projectId).map(StoredResource::json);
        if (project.isEmpty()) return;
        if (system) addAll(merged, project.get().path("systemSecret"));
        addAll(merged, project.get().path("secret"));
    }

    private static void addAll(ObjectNode merged, JsonNode settings) {
        for (JsonNode setting : settings) {
            if (setting.path("name").isTextual()) merged.set(setting.get("name").asText(), setting);
        }
    }
}
