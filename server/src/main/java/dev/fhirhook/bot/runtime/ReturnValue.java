package dev.fhirhook.bot.runtime;

import com.fasterxml.jackson.databind.JsonNode;

/** What a handler returned, in the shapes the reply rules distinguish (medplum-compat §5.4). */
public sealed interface ReturnValue {
    /** {@code undefined} (or nothing returned). */
    record Undefined() implements ReturnValue {}

    /** A string, sent raw. */
    record Text(String text) implements ReturnValue {}

    /** A number, as its JavaScript decimal string ({@code String(n)}), so it is never taken as a status. */
    record Number(String decimal) implements ReturnValue {}

    /** An object, array, boolean or {@code null}, as JSON. */
    record Json(JsonNode json) implements ReturnValue {}
}
