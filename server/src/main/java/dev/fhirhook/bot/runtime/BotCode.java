package dev.fhirhook.bot.runtime;

/**
 * One deployed version of a bot's code. Warm contexts are pooled per {@code (botId, version)}: a run with a
 * new version for the same bot retires the contexts of the old one.
 *
 * @param botId the Bot's id
 * @param version identifies this code, such as the id of the Binary it was deployed as
 * @param source the JavaScript text
 * @param filename {@code Bot.executableCode.title}; {@code .mjs} means ESM, {@code .cjs} CommonJS, otherwise
 *     code with {@code export} and no {@code module.exports} is ESM (Medplum's Lambda rule)
 */
public record BotCode(String botId, String version, String source, String filename) {}
