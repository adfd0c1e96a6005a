package dev.fhirhook.config;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Merges configuration sources, later ones winning: built-in defaults, an optional properties file
 * ({@code --config} or {@code FHIRHOOK_CONFIG}), {@code FHIRHOOK_*} environment variables, then command-line
 * flags. Every key is validated; an unknown or malformed one fails start-up with a message naming it.
 */
public final class ConfigLoader {
    /** Keys as written in a config file; the environment form is {@code FHIRHOOK_} + upper snake case. */
    public static final List<String> KEYS = List.of(
            "host", "port", "base-url", "data",
            "database-url", "database-user", "database-password", "database-pool-size",
            "admin-client-id", "admin-client-secret",
            "max-json-size", "trusted-proxies",
            "rate-limit-default", "rate-limit-auth", "rate-limit-login", "rate-limit-store",
            "bot-max-concurrency", "bot-max-concurrency-per-bot",
            "webhook-max-body-size", "shutdown-grace", "body-read-timeout");

    private static final Pattern FHIR_ID = Pattern.compile("[A-Za-z0-9\\-.]{1,64}");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,12})\\s*(b|kb|mb)?", Pattern.CASE_INSENSITIVE);

    private record Value(String text, String source) {}

    private final Map<String, Value> values = new LinkedHashMap<>();

    private ConfigLoader() {}

    /**
     * @param env the process environment (pass {@code System.getenv()})
     * @param flags values given on the command line, keyed like the file keys; null values are ignored
     * @param configFile a file named on the command line, or null
     */
    public static Config load(Map<String, String> env, Map<String, String> flags, Path configFile) {
        var loader = new ConfigLoader();
        Path file = configFile != null ? configFile
                : Optional.ofNullable(env.get("FHIRHOOK_CONFIG")).filter(s -> !s.isBlank()).map(Path::of).orElse(null);
        if (file != null) loader.readFile(file);
        loader.readEnv(env);
        flags.forEach((key, value) -> {
            if (value != null) loader.put(key, value, "flag --" + key);
        });
        return loader.build();
    }

    public static String envName(String key) {
        return "FHIRHOOK_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private void readFile(Path file) {
        var props = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config file " + file + " is malformed: " + e.getMessage());
        }
        for (var name : props.stringPropertyNames()) {
            if (!KEYS.contains(name)) {
                throw new ConfigException("unknown key '" + name + "' in config file " + file
                        + " (known keys: " + String.join(", ", KEYS) + ")");
            }
            put(name, props.getProperty(name), "config file " + file);
        }
    }

    /** Variables that are not config keys: the config file's path, and the launcher's JVM options. */
    private static final java.util.Set<String> LAUNCHER_ENV = java.util.Set.of("FHIRHOOK_CONFIG", "FHIRHOOK_JAVA_OPTS");

    private void readEnv(Map<String, String> env) {
        for (var entry : env.entrySet()) {
            String name = entry.getKey();
            if (!name.startsWith("FHIRHOOK_") || LAUNCHER_ENV.contains(name)) continue;
            String key = KEYS.stream().filter(k -> envName(k).equals(name)).findFirst().orElseThrow(() ->
                    new ConfigException("unknown environment variable " + name + " (known: "
                            + String.join(", ", KEYS.stream().map(ConfigLoader::envName).toList()) + ")"));
            put(key, entry.getValue(), "environment variable " + name);
        }
    }

    private void put(String key, String value, String source) {
        if (!KEYS.contains(key)) throw new ConfigException("unknown config key '" + key + "' from " + source);
        values.put(key, new Value(value.strip(), source));
    }

    private Optional<Value> value(String key) {
        return Optional.ofNullable(values.get(key)).filter(v -> !v.text().isEmpty());
    }

    /**
     * The value of a key that cannot be empty. An empty environment variable counts as unset (compose files and
     * shell scripts write {@code FHIRHOOK_PORT=} for "not set"); an empty flag or file entry is a mistake, and
     * falling back to the default without a word would hide it.
     */
    private Optional<Value> required(String key, Object def) {
        var v = values.get(key);
        if (v != null && v.text().isEmpty() && !v.source().startsWith("environment variable")) {
            throw bad(key, "is empty; leave it out to use the default (" + def + ")");
        }
        return value(key);
    }

    private static final Pattern HOST_NAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?");

    /** An IP literal or a syntactically valid host name; whether it is this machine's shows when it is bound. */
    static boolean isHost(String text) {
        try {
            java.net.InetAddress.ofLiteral(text);
            return true;
        } catch (IllegalArgumentException e) {
            return HOST_NAME.matcher(text).matches() && !text.matches("[0-9.]+");
        }
    }

    /** Values never repeated in messages because they are secrets. */
    private static final List<String> SECRET_KEYS = List.of("database-password", "admin-client-secret");

    private ConfigException bad(String key, String why) {
        var v = values.get(key);
        String shown = v == null ? "" : SECRET_KEYS.contains(key) ? " from " + v.source()
                : " '" + withoutCredentials(v.text()) + "' from " + v.source();
        return new ConfigException("invalid " + key + shown + ": " + why);
    }

    /** A URL as it may be shown: user, password and password parameters masked. */
    static String withoutCredentials(String text) {
        return text.replaceAll("//[^/@]*@", "//***@").replaceAll("(?i)(password=)[^&;]*", "$1***");
    }

    private String sourceOf(String key) {
        var v = values.get(key);
        return v == null ? "defaults" : v.source();
    }

    private int intValue(String key, int def, int min, int max) {
        var v = required(key, def);
        if (v.isEmpty()) return def;
        try {
            int n = Integer.parseInt(v.get().text());
            if (n < min || n > max) throw bad(key, "must be between " + min + " and " + max);
            return n;
        } catch (NumberFormatException e) {
            throw bad(key, "must be a whole number");
        }
    }

    private long sizeValue(String key, long def, long min, long max) {
        var v = required(key, def);
        if (v.isEmpty()) return def;
        var m = SIZE.matcher(v.get().text());
        if (!m.matches()) throw bad(key, "must be a size such as 1048576, 512kb or 1mb");
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2).toLowerCase(Locale.ROOT);
        long bytes = switch (unit) {
            case "kb" -> n * 1024;
            case "mb" -> n * 1024 * 1024;
            default -> n;
        };
        if (bytes < min || bytes > max) throw bad(key, "must be between " + min + " and " + max + " bytes");
        return bytes;
    }

    private Config build() {
        String host = required("host", "0.0.0.0").map(Value::text).orElse("0.0.0.0");
        if (!isHost(host)) throw bad("host", "must be an IP address or a host name");
        int port = intValue("port", 8103, 0, 65535);
        Optional<String> baseUrl = value("base-url").map(Value::text).map(url -> {
            try {
                var uri = URI.create(url);
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
                        || uri.getQuery() != null || uri.getFragment() != null) {
                    throw bad("base-url", "must be an absolute http or https URL without query or fragment");
                }
            } catch (IllegalArgumentException e) {
                throw bad("base-url", "is not a URL");
            }
            return url.endsWith("/") ? url : url + "/";
        });
        Path data = Path.of(required("data", "data").map(Value::text).orElse("data")).toAbsolutePath().normalize();

        Optional<String> dbUrl = value("database-url").map(Value::text);
        if (dbUrl.isPresent() && !dbUrl.get().startsWith("jdbc:postgresql://")) {
            throw bad("database-url", "must start with jdbc:postgresql://");
        }
        var database = new Config.Database(dbUrl,
                value("database-user").map(Value::text).orElse("postgres"),
                value("database-password").map(Value::text).orElse(""),
                intValue("database-pool-size", 10, 2, 500));

        var clientId = value("admin-client-id").map(Value::text);
        var clientSecret = value("admin-client-secret").map(Value::text);
        if (clientId.isPresent() != clientSecret.isPresent()) {
            String given = clientId.isPresent() ? "admin-client-id" : "admin-client-secret";
            String missing = clientId.isPresent() ? "admin-client-secret" : "admin-client-id";
            throw new ConfigException(given + " is set (from " + sourceOf(given) + ") but " + missing + " is not: set both ("
                    + envName("admin-client-id") + ", " + envName("admin-client-secret") + ") or neither");
        }
        if (clientId.isPresent() && !FHIR_ID.matcher(clientId.get()).matches()) {
            throw bad("admin-client-id", "must be a FHIR id: 1-64 of A-Z a-z 0-9 - .");
        }
        if (clientSecret.isPresent() && clientSecret.get().length() < 16) {
            throw bad("admin-client-secret", "must be at least 16 characters");
        }

        long maxJson = sizeValue("max-json-size", 1024 * 1024, 1024, 64L * 1024 * 1024);
        List<String> proxies = new ArrayList<>();
        value("trusted-proxies").ifPresent(v -> Arrays.stream(v.text().split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).forEach(ip -> {
                    try {
                        // IPv4 in its full dotted form only (ofLiteral also takes legacy forms such as 1.2.3); no DNS
                        if (!ip.contains(":") && !ip.matches("(\\d{1,3}\\.){3}\\d{1,3}")) throw new IllegalArgumentException();
                        java.net.InetAddress.ofLiteral(ip);
                        proxies.add(ip);
                    } catch (IllegalArgumentException e) {
                        throw bad("trusted-proxies", "'" + ip + "' is not an IP address");
                    }
                }));
        var defaults = Config.RateLimits.DEFAULTS;
        int defaultLimit = intValue("rate-limit-default", (int) defaults.defaultPerMinute(), -1, 1_000_000_000);
        // 0 would refuse every request, which nobody means; -1 is how the default category is switched off
        if (defaultLimit == 0) throw bad("rate-limit-default", "must be -1 (off) or between 1 and 1000000000");
        var rateLimits = new Config.RateLimits(defaultLimit,
                intValue("rate-limit-auth", (int) defaults.authPerMinute(), 1, 1_000_000_000),
                intValue("rate-limit-login", (int) defaults.loginPerMinute(), 1, 1_000_000_000));
        var store = required("rate-limit-store", "local").map(v -> switch (v.text()) {
            case "local" -> Config.RateLimitStore.LOCAL;
            case "postgres" -> Config.RateLimitStore.POSTGRES;
            default -> throw bad("rate-limit-store", "must be local or postgres");
        }).orElse(Config.RateLimitStore.LOCAL);
        int botRuns = intValue("bot-max-concurrency", Config.Bots.DEFAULTS.maxConcurrentRuns(), 1, 10_000);
        int botRunsPerBot = intValue("bot-max-concurrency-per-bot", Config.Bots.DEFAULTS.maxConcurrentRunsPerBot(), 1, 10_000);
        if (botRunsPerBot > botRuns) throw bad("bot-max-concurrency-per-bot", "must not exceed bot-max-concurrency (" + botRuns + ")");
        long webhookMaxBody = sizeValue("webhook-max-body-size", 8L * 1024 * 1024, 1024, 64L * 1024 * 1024);
        var shutdownGrace = java.time.Duration.ofSeconds(intValue("shutdown-grace", 25, 0, 900));
        var bodyReadTimeout = java.time.Duration.ofSeconds(intValue("body-read-timeout", 30, 1, 3600));
        return new Config(host, port, baseUrl, data, database,
                new Config.Admin(clientId, clientSecret), maxJson, List.copyOf(proxies), rateLimits, store,
                new Config.Bots(botRuns, botRunsPerBot), webhookMaxBody, shutdownGrace,
                bodyReadTimeout);
    }
}
