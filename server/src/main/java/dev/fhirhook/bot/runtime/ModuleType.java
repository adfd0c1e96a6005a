package dev.fhirhook.bot.runtime;

import java.util.Locale;
import java.util.regex.Pattern;
import org.graalvm.polyglot.Source;

/**
 * CommonJS or ES module, by Medplum's Lambda rule (medplum-compat §8): a filename ending in {@code .mjs} is ESM,
 * {@code .cjs} CommonJS; otherwise code with an {@code export} declaration and no {@code module.exports} is ESM.
 */
enum ModuleType {
    COMMONJS,
    ESM;

    /**
     * CommonJS code runs as the body of this function, as in Node. The prefix has no newline, so lines keep
     * their numbers and only columns on the first line shift (see {@link #position}).
     */
    static final String CJS_PREFIX = "(function (exports, require, module, __filename, __dirname) {";

    private static final String CJS_SUFFIX = "\n})";
    private static final Pattern EXPORT = Pattern.compile(
            "(?m)(?:^|[;}])\\s*export\\s+(?:default\\b|async\\s+function\\b|function\\b|const\\b|let\\b|var\\b|class\\b|\\{|\\*)");

    static ModuleType of(String filename, String source) {
        var name = filename == null ? "" : filename.toLowerCase(Locale.ROOT);
        if (name.endsWith(".mjs")) return ESM;
        if (name.endsWith(".cjs")) return COMMONJS;
        return EXPORT.matcher(source).find() && !source.contains("module.exports") ? ESM : COMMONJS;
    }

    /** The polyglot source to evaluate: the module itself for ESM, the wrapping function for CommonJS. */
    Source source(String code, String filename) {
        return switch (this) {
            case ESM -> Source.newBuilder("js", code, name(filename, ".mjs"))
                    .mimeType("application/javascript+module")
                    .buildLiteral();
            case COMMONJS -> Source.newBuilder("js", CJS_PREFIX + code + CJS_SUFFIX, name(filename, ".js")).buildLiteral();
        };
    }

    /** A syntax error's 1-based column in the bot's own text (CommonJS line 1 carries the wrapper's prefix). */
    int column(int line, int column) {
        return this == COMMONJS && line == 1 ? Math.max(1, column - CJS_PREFIX.length()) : column;
    }

    private static String name(String filename, String extension) {
        if (filename == null || filename.isBlank()) return "bot" + extension;
        // A path would be resolved by ESM imports; the name is only for stack traces.
        var base = filename.replace('\\', '/');
        return base.substring(base.lastIndexOf('/') + 1);
    }
}
