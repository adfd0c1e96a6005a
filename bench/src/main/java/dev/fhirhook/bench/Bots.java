package dev.fhirhook.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Bots for the {@code $execute} scenarios: each is created in the bench client's own project with its own
 * membership and an AccessPolicy of only the types it touches, then deployed with {@code $deploy}.
 */
final class Bots {
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([A-Za-z0-9.-]{1,64})\"");

    /** Answers at once: the cost of the sandbox and the HTTP round trip. */
    static final String TRIVIAL = "exports.handler = async (medplum, event) => 'ok';";

    /** The seed's work: upsert an Invoice by its provider identifier. */
    static final String UPSERT_INVOICE = """
            exports.handler = async (medplum, event) => {
              const id = event.input.id;
              const invoice = await medplum.upsertResource({
                resourceType: 'Invoice', status: 'balanced',
                identifier: [{ system: 'https://stripe.com/invoice', value: id }],
                totalGross: { value: event.input.amount / 100, currency: 'USD' } },
                'identifier=https://stripe.com/invoice|' + id);
              return { id: invoice.id };
            };
            """;

    private Bots() {}

    /** Creates and deploys a bot; returns its id. */
    static String deploy(Target target, String name, String code, String policyTypes) throws IOException {
        try (var connection = target.open(true)) {
            String botId = create(connection, target, "Bot", "{\"resourceType\":\"Bot\",\"name\":\"" + name + "\"}");
            StringBuilder entries = new StringBuilder();
            for (String type : policyTypes.split(",")) {
                if (!entries.isEmpty()) entries.append(',');
                entries.append("{\"resourceType\":\"").append(type).append("\"}");
            }
            String policyId = create(connection, target, "AccessPolicy",
                    "{\"resourceType\":\"AccessPolicy\",\"name\":\"" + name + "\",\"resource\":[" + entries + "]}");
            create(connection, target, "ProjectMembership", """
                    {"resourceType":"ProjectMembership","user":{"reference":"Bot/%1$s"},"profile":{"reference":"Bot/%1$s"},
                     "accessPolicy":{"reference":"AccessPolicy/%2$s"}}""".formatted(botId, policyId));
            String body = "{\"filename\":\"index.js\",\"code\":" + quote(code) + "}";
            var response = connection.send("POST", target.path("fhir/R4/Bot/" + botId + "/$deploy"), "application/json",
                    body.getBytes(StandardCharsets.UTF_8));
            if (response.status() != 200) {
                throw new IllegalStateException("deploying bot " + name + " answered " + response.status() + ": " + connection.bodyText());
            }
            return botId;
        }
    }

    /** POSTs a resource and returns its id; set-up fails loudly on anything but 201. */
    static String create(HttpConnection connection, Target target, String type, String json) throws IOException {
        var response = connection.send("POST", target.path("fhir/R4/" + type), HttpScenario.FHIR_JSON,
                json.getBytes(StandardCharsets.UTF_8));
        String body = connection.bodyText();
        if (response.status() != 201) throw new IllegalStateException("creating " + type + " answered " + response.status() + ": " + body);
        var m = ID.matcher(body);
        if (!m.find()) throw new IllegalStateException("no id in the created " + type + ": " + body);
        return m.group(1);
    }

    /** {@code s} as a JSON string literal (the bench has no JSON library). */
    static String quote(String s) {
        var out = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                default -> out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
