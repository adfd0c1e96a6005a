package dev.fhirhook.bot.runtime;

/**
 * The {@code event} a bot's handler receives, as the sandbox gets it.
 *
 * @param json the event as a JSON object
 * @param jsonBody null, or the request's JSON body as received: the sandbox parses it into {@code event.input} and
 *     sets it as {@code event.rawBody} (both present in {@code json} as placeholders, which keeps the keys' order).
 *     A JSON body is then parsed once inside the sandbox, with JavaScript's own {@code JSON.parse} as Medplum's body
 *     parser does, instead of being serialised again next to its escaped text and both parsed.
 */
public record BotEvent(String json, String jsonBody) {
    /** An event with nothing to parse apart from {@code json}. */
    public static BotEvent of(String json) {
        return new BotEvent(json, null);
    }
}
