package dev.fhirhook.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link ConfigLoader#load}: defaults &lt; file &lt; {@code FHIRHOOK_*} env &lt; flags, and every malformed value
 * fails with a {@link ConfigException} that names the key and where the value came from. The last tests
 * run the real CLI in a child process, because {@code Main} ends with {@code System.exit}.
 */
class ConfigLoaderTest {
    @TempDir
    Path dir;

    /** Where a value is given; each knows how to load a config with one key set through it. */
    enum Source {
        FILE, ENV, FLAG;

        Config load(Path dir, String key, String value) {
            return switch (this) {
                case FILE -> ConfigLoader.load(Map.of(), Map.of(), file(dir, key + "=" + value));
                case ENV -> ConfigLoader.load(Map.of(ConfigLoader.envName(key), value), Map.of(), null);
                case FLAG -> ConfigLoader.load(Map.of(), Map.of(key, value), null);
            };
        }

        /** How the error message names this source for {@code key}. */
        String named(Path dir, String key) {
            return switch (this) {
                case FILE -> "config file " + dir.resolve("fhirhook.properties");
                case ENV -> "environment variable " + ConfigLoader.envName(key);
                case FLAG -> "flag --" + key;
            };
        }
    }

    private static Path file(Path dir, String... lines) {
        try {
            Path file = dir.resolve("fhirhook.properties");
            Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static ConfigException failure(Source source, Path dir, String key, String value) {
        var thrown = org.assertj.core.api.Assertions.catchThrowable(() -> source.load(dir, key, value));
        assertThat(thrown).as("%s=%s from %s", key, value, source).isInstanceOf(ConfigException.class);
        return (ConfigException) thrown;
    }

    /** The value is rejected, and the message names the key, the source and the offending value. */
    private void assertRejected(Source source, String key, String value, String... why) {
        var e = failure(source, dir, key, value);
        assertThat(e.getMessage()).contains(key, source.named(dir, key), "'" + value.strip() + "'").contains(why);
    }

    // --- defaults and precedence ------------------------------------------------------------------

    @Test
    void defaults_apply_when_nothing_is_configured() {
        var config = ConfigLoader.load(Map.of(), Map.of(), null);
        assertThat(config.host()).isEqualTo("0.0.0.0");
        assertThat(config.port()).isEqualTo(8103);
        assertThat(config.baseUrl()).isEmpty();
        assertThat(config.dataDir()).isEqualTo(Path.of("data").toAbsolutePath().normalize());
        assertThat(config.database().embedded()).isTrue();
        assertThat(config.database().user()).isEqualTo("postgres");
        assertThat(config.database().poolSize()).isEqualTo(10);
        assertThat(config.admin().clientId()).isEmpty();
        assertThat(config.admin().clientSecret()).isEmpty();
        assertThat(config.maxJsonBytes()).isEqualTo(1024 * 1024);
        assertThat(config.trustedProxies()).isEmpty();
        assertThat(config.rateLimits()).isEqualTo(new Config.RateLimits(60_000, 1_200, 5));
        assertThat(config.rateLimitStore()).isEqualTo(Config.RateLimitStore.LOCAL);
    }

    @Test
    void a_file_overrides_defaults_env_overrides_the_file_and_flags_override_env() {
        Path file = file(dir, "port=1111", "host=10.0.0.1", "base-url=http://file.example", "database-pool-size=3");
        Map<String, String> env = Map.of("FHIRHOOK_PORT", "2222", "FHIRHOOK_HOST", "10.0.0.2");
        Map<String, String> flags = Map.of("port", "3333");

        var all = ConfigLoader.load(env, flags, file);
        assertThat(all.port()).isEqualTo(3333);
        assertThat(all.host()).isEqualTo("10.0.0.2");
        assertThat(all.baseUrl()).contains("http://file.example/");
        assertThat(all.database().poolSize()).isEqualTo(3);

        var noFlags = ConfigLoader.load(env, Map.of(), file);
        assertThat(noFlags.port()).isEqualTo(2222);

        var fileOnly = ConfigLoader.load(Map.of(), Map.of(), file);
        assertThat(fileOnly.port()).isEqualTo(1111);
        assertThat(fileOnly.host()).isEqualTo("10.0.0.1");

        var envAndFlags = ConfigLoader.load(env, flags, null);
        assertThat(envAndFlags.port()).isEqualTo(3333);
        assertThat(envAndFlags.database().poolSize()).isEqualTo(10);
    }

    @Test
    void the_config_file_can_be_named_by_fhirhook_config_and_a_flag_file_wins_over_it() {
        Path envFile = dir.resolve("env.properties");
        Path flagFile = dir.resolve("flag.properties");
        try {
            Files.writeString(envFile, "port=4444\n");
            Files.writeString(flagFile, "port=5555\n");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertThat(ConfigLoader.load(Map.of("FHIRHOOK_CONFIG", envFile.toString()), Map.of(), null).port()).isEqualTo(4444);
        assertThat(ConfigLoader.load(Map.of("FHIRHOOK_CONFIG", envFile.toString()), Map.of(), flagFile).port()).isEqualTo(5555);
    }

    @Test
    void the_launchers_jvm_options_variable_is_not_taken_for_an_unknown_key() {
        // ./fhirhook passes FHIRHOOK_JAVA_OPTS to the JVM and leaves it in the environment the server reads
        var config = ConfigLoader.load(Map.of("FHIRHOOK_JAVA_OPTS", "-Xmx2g", "FHIRHOOK_PORT", "9001"), Map.of(), null);
        assertThat(config.port()).isEqualTo(9001);
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("FHIRHOOK_JAVA_OPT", "-Xmx2g"), Map.of(), null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown environment variable FHIRHOOK_JAVA_OPT");
    }

    @Test
    void null_flags_are_ignored_and_values_are_trimmed() {
        var flags = new HashMap<String, String>();
        flags.put("port", null);
        flags.put("host", "  127.0.0.1 ");
        var config = ConfigLoader.load(Map.of("FHIRHOOK_PORT", " 9000 "), flags, null);
        assertThat(config.port()).isEqualTo(9000);
        assertThat(config.host()).isEqualTo("127.0.0.1");
    }

    @Test
    void environment_variables_of_other_programs_are_ignored() {
        var config = ConfigLoader.load(Map.of("PATH", "/usr/bin", "PORT", "1", "fhirhook_port", "2", "XFHIRHOOK_PORT", "3"),
                Map.of(), null);
        assertThat(config.port()).isEqualTo(8103);
    }

    @Test
    void every_key_is_accepted_in_its_documented_form() {
        var env = new HashMap<String, String>();
        env.put("FHIRHOOK_HOST", "127.0.0.1");
        env.put("FHIRHOOK_PORT", "0");
        env.put("FHIRHOOK_BASE_URL", "https://fhir.example.com/base");
        env.put("FHIRHOOK_DATA", dir.resolve("d").toString());
        env.put("FHIRHOOK_DATABASE_URL", "jdbc:postgresql://db.example:5432/fhirhook");
        env.put("FHIRHOOK_DATABASE_USER", "u");
        env.put("FHIRHOOK_DATABASE_PASSWORD", "p");
        env.put("FHIRHOOK_DATABASE_POOL_SIZE", "500");
        env.put("FHIRHOOK_ADMIN_CLIENT_ID", "admin-1.x");
        env.put("FHIRHOOK_ADMIN_CLIENT_SECRET", "0123456789abcdef");
        env.put("FHIRHOOK_MAX_JSON_SIZE", "512kb");
        env.put("FHIRHOOK_TRUSTED_PROXIES", "10.0.0.1, ::1 ,");
        env.put("FHIRHOOK_RATE_LIMIT_DEFAULT", "-1");
        env.put("FHIRHOOK_RATE_LIMIT_AUTH", "30");
        env.put("FHIRHOOK_RATE_LIMIT_LOGIN", "2");
        var config = ConfigLoader.load(env, Map.of(), null);
        assertThat(config.host()).isEqualTo("127.0.0.1");
        assertThat(config.port()).isZero();
        assertThat(config.baseUrl()).contains("https://fhir.example.com/base/");
        assertThat(config.dataDir()).isEqualTo(dir.resolve("d"));
        assertThat(config.database().url()).contains("jdbc:postgresql://db.example:5432/fhirhook");
        assertThat(config.database().embedded()).isFalse();
        assertThat(config.database().user()).isEqualTo("u");
        assertThat(config.database().password()).isEqualTo("p");
        assertThat(config.database().poolSize()).isEqualTo(500);
        assertThat(config.admin().clientId()).contains("admin-1.x");
        assertThat(config.admin().clientSecret()).contains("0123456789abcdef");
        assertThat(config.maxJsonBytes()).isEqualTo(512 * 1024);
        assertThat(config.trustedProxies()).containsExactly("10.0.0.1", "::1");
        assertThat(config.rateLimits()).isEqualTo(new Config.RateLimits(Config.RateLimits.OFF, 30, 2));
    }

    @ParameterizedTest
    @ValueSource(strings = {"1048576", "1024kb", "1mb", "1MB", "1 mb", "1048576b"})
    void max_json_size_takes_bytes_kb_and_mb(String size) {
        assertThat(ConfigLoader.load(Map.of(), Map.of("max-json-size", size), null).maxJsonBytes()).isEqualTo(1024 * 1024);
    }

    // --- unknown keys -----------------------------------------------------------------------------

    @Test
    void an_unknown_key_in_the_file_is_rejected_naming_the_key_and_the_file() {
        Path file = file(dir, "port=1", "prot=2");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), Map.of(), file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'prot'")
                .hasMessageContaining("config file " + file)
                .hasMessageContaining("port, base-url");
    }

    @Test
    void an_unknown_fhirhook_environment_variable_is_rejected() {
        assertThatThrownBy(() -> ConfigLoader.load(Map.of("FHIRHOOK_PROT", "1"), Map.of(), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable FHIRHOOK_PROT")
                .hasMessageContaining("FHIRHOOK_PORT");
    }

    @Test
    void an_unknown_flag_key_is_rejected() {
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), Map.of("prot", "1"), null))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'prot'")
                .hasMessageContaining("flag --prot");
    }

    @Test
    void a_missing_config_file_is_named() {
        Path missing = dir.resolve("nope.properties");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), Map.of(), missing))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config file " + missing);
    }

    @Test
    void a_malformed_config_file_is_named() {
        Path file = file(dir, "port=\\uZZZZ");
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), Map.of(), file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("config file " + file)
                .hasMessageContaining("malformed");
    }

    // --- malformed values, from every source ------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_port_that_is_not_a_number_is_rejected(Source source) {
        assertRejected(source, "port", "abc", "whole number");
        assertRejected(source, "port", "80.5", "whole number");
        assertRejected(source, "port", "99999999999", "whole number");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_port_out_of_range_is_rejected(Source source) {
        assertRejected(source, "port", "-1", "between 0 and 65535");
        assertRejected(source, "port", "70000", "between 0 and 65535");
        assertRejected(source, "port", "65536", "between 0 and 65535");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_bad_base_url_is_rejected(Source source) {
        assertRejected(source, "base-url", "ftp://x", "http or https");
        assertRejected(source, "base-url", "not a url", "not a URL");
        assertRejected(source, "base-url", "https://x.example/?a=1", "without query");
        assertRejected(source, "base-url", "https://x.example/#frag", "fragment");
        assertRejected(source, "base-url", "/relative/path", "absolute");
        assertRejected(source, "base-url", "http:///nohost", "absolute");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_database_url_that_is_not_jdbc_postgresql_is_rejected(Source source) {
        assertRejected(source, "database-url", "jdbc:mysql://db/x", "jdbc:postgresql://");
        assertRejected(source, "database-url", "postgres://db:5432/x", "jdbc:postgresql://");
        assertRejected(source, "database-url", "jdbc:h2:mem:x", "jdbc:postgresql://");
    }

    /** A URL in the wrong form often carries a password; an error message goes to logs and terminals. */
    @Test
    void a_rejected_database_url_does_not_echo_its_password() {
        var e = failure(Source.ENV, dir, "database-url", "postgres://fhir:hunter2-secret@db.example:5432/fhir");
        assertThat(e.getMessage()).contains("database-url", "FHIRHOOK_DATABASE_URL").doesNotContain("hunter2-secret");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_bad_pool_size_is_rejected(Source source) {
        assertRejected(source, "database-pool-size", "0", "between 2 and 500");
        assertRejected(source, "database-pool-size", "1", "between 2 and 500"); // start-up needs two connections
        assertRejected(source, "database-pool-size", "many", "whole number");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void an_admin_client_id_without_a_secret_is_rejected(Source source) {
        var e = failure(source, dir, "admin-client-id", "my-admin");
        assertThat(e.getMessage()).contains("admin-client-id", "admin-client-secret", source.named(dir, "admin-client-id"));
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void an_admin_client_secret_without_an_id_is_rejected(Source source) {
        var e = failure(source, dir, "admin-client-secret", "0123456789abcdef-secret");
        assertThat(e.getMessage()).contains("admin-client-id", "admin-client-secret", source.named(dir, "admin-client-secret"))
                .doesNotContain("0123456789abcdef-secret");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_short_admin_secret_is_rejected_without_echoing_it(Source source) {
        Map<String, String> env = source == Source.ENV
                ? Map.of("FHIRHOOK_ADMIN_CLIENT_ID", "admin", "FHIRHOOK_ADMIN_CLIENT_SECRET", "short-secret") : Map.of();
        Map<String, String> flags = source == Source.FLAG
                ? Map.of("admin-client-id", "admin", "admin-client-secret", "short-secret") : Map.of();
        Path file = source == Source.FILE ? file(dir, "admin-client-id=admin", "admin-client-secret=short-secret") : null;
        var thrown = org.assertj.core.api.Assertions.catchThrowable(() -> ConfigLoader.load(env, flags, file));
        assertThat(thrown).isInstanceOf(ConfigException.class);
        assertThat(thrown.getMessage()).contains("admin-client-secret", source.named(dir, "admin-client-secret"), "16 characters")
                .doesNotContain("short-secret");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a b", "a_b", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "ad/min"})
    void an_admin_client_id_that_is_not_a_fhir_id_is_rejected(String id) {
        var thrown = org.assertj.core.api.Assertions.catchThrowable(() -> ConfigLoader.load(
                Map.of("FHIRHOOK_ADMIN_CLIENT_ID", id, "FHIRHOOK_ADMIN_CLIENT_SECRET", "0123456789abcdef"), Map.of(), null));
        assertThat(thrown).isInstanceOf(ConfigException.class);
        assertThat(thrown.getMessage()).contains("admin-client-id", "environment variable FHIRHOOK_ADMIN_CLIENT_ID", "FHIR id");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_bad_max_json_size_is_rejected(Source source) {
        assertRejected(source, "max-json-size", "1gb", "size");
        assertRejected(source, "max-json-size", "-5", "size");
        assertRejected(source, "max-json-size", "abc", "size");
        assertRejected(source, "max-json-size", "1.5mb", "size");
        assertRejected(source, "max-json-size", "100", "between 1024 and");
        assertRejected(source, "max-json-size", "65mb", "between 1024 and");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void a_trusted_proxy_that_is_not_an_ip_address_is_rejected(Source source) {
        for (String proxy : List.of("proxy.example.com", "10.0.0.0/8", "10.0.0.1;10.0.0.2")) {
            var e = failure(source, dir, "trusted-proxies", "127.0.0.1, " + proxy);
            assertThat(e.getMessage()).as(proxy).contains("trusted-proxies", source.named(dir, "trusted-proxies"), proxy,
                    "not an IP address");
        }
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void bad_rate_limits_are_rejected(Source source) {
        assertRejected(source, "rate-limit-default", "0", "-1 (off)");
        assertRejected(source, "rate-limit-default", "-2", "between -1 and");
        assertRejected(source, "rate-limit-default", "lots", "whole number");
        assertRejected(source, "rate-limit-default", "1e6", "whole number");
        assertRejected(source, "rate-limit-auth", "-1", "between 1 and");
        assertRejected(source, "rate-limit-auth", "0", "between 1 and");
        assertRejected(source, "rate-limit-login", "-1", "between 1 and");
        assertRejected(source, "rate-limit-login", "99999999999", "whole number");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void the_rate_limit_store_is_local_or_postgres_from_any_source(Source source) {
        assertThat(source.load(dir, "rate-limit-store", "postgres").rateLimitStore()).isEqualTo(Config.RateLimitStore.POSTGRES);
        assertThat(source.load(dir, "rate-limit-store", "local").rateLimitStore()).isEqualTo(Config.RateLimitStore.LOCAL);
        assertThat(source.load(dir, "rate-limit-store", " postgres ").rateLimitStore()).isEqualTo(Config.RateLimitStore.POSTGRES);
        for (String bad : new String[] {"redis", "Postgres", "POSTGRES", "postgresql", "local,postgres", "1"}) {
            assertRejected(source, "rate-limit-store", bad, "must be local or postgres");
        }
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void bad_bot_concurrency_caps_are_rejected(Source source) {
        assertRejected(source, "bot-max-concurrency", "0", "between 1 and");
        assertRejected(source, "bot-max-concurrency", "-5", "between 1 and");
        assertRejected(source, "bot-max-concurrency", "many", "whole number");
        assertRejected(source, "bot-max-concurrency-per-bot", "0", "between 1 and");
        assertRejected(source, "bot-max-concurrency-per-bot", "100000", "between 1 and");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void the_shutdown_grace_is_whole_seconds_from_0_to_900_from_any_source(Source source) {
        assertThat(ConfigLoader.load(Map.of(), Map.of(), null).shutdownGrace()).isEqualTo(java.time.Duration.ofSeconds(25));
        assertThat(source.load(dir, "shutdown-grace", "0").shutdownGrace()).isEqualTo(java.time.Duration.ZERO);
        assertThat(source.load(dir, "shutdown-grace", "900").shutdownGrace()).isEqualTo(java.time.Duration.ofMinutes(15));
        assertRejected(source, "shutdown-grace", "-1", "between 0 and");
        assertRejected(source, "shutdown-grace", "901", "between 0 and");
        assertRejected(source, "shutdown-grace", "30s", "whole number");
        assertRejected(source, "shutdown-grace", "99999999999999999999", "whole number");
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void the_host_is_an_ip_address_or_a_host_name(Source source) {
        for (String ok : List.of("127.0.0.1", "0.0.0.0", "::1", "::", "fe80::1", "localhost", "fhir-1.example.org", "[::1]")) {
            assertThat(source.load(dir, "host", ok).host()).isEqualTo(ok);
        }
        for (String bad : List.of("not a host", "bad_host", "999.1.1.1", "a..b", "-x.example", "::1::2", "x".repeat(254))) {
            assertRejected(source, "host", bad, "must be an IP address or a host name");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"host", "port", "data", "database-pool-size", "max-json-size", "rate-limit-default",
            "rate-limit-store", "bot-max-concurrency", "webhook-max-body-size", "shutdown-grace", "body-read-timeout"})
    void an_empty_flag_or_file_entry_is_refused_and_an_empty_environment_variable_is_unset(String key) {
        for (Source source : List.of(Source.FLAG, Source.FILE)) {
            var e = failure(source, dir, key, "");
            assertThat(e.getMessage()).contains(key, source.named(dir, key), "is empty", "leave it out");
        }
        var fromEnv = Source.ENV.load(dir, key, "");
        assertThat(fromEnv).isEqualTo(ConfigLoader.load(Map.of(), Map.of(), null));
    }

    @ParameterizedTest
    @EnumSource(Source.class)
    void the_body_read_timeout_is_whole_seconds_from_1_to_3600_from_any_source(Source source) {
        assertThat(ConfigLoader.load(Map.of(), Map.of(), null).bodyReadTimeout()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(source.load(dir, "body-read-timeout", "1").bodyReadTimeout()).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(source.load(dir, "body-read-timeout", "3600").bodyReadTimeout()).isEqualTo(java.time.Duration.ofHours(1));
        assertRejected(source, "body-read-timeout", "0", "between 1 and");
        assertRejected(source, "body-read-timeout", "3601", "between 1 and");
        assertRejected(source, "body-read-timeout", "-1", "between 1 and");
        assertRejected(source, "body-read-timeout", "30s", "whole number");
        assertRejected(source, "body-read-timeout", "99999999999999999999", "whole number");
    }

    @Test
    void bot_concurrency_caps_default_and_the_per_bot_cap_cannot_exceed_the_server_cap() {
        assertThat(ConfigLoader.load(Map.of(), Map.of(), null).bots()).isEqualTo(Config.Bots.DEFAULTS);
        var config = ConfigLoader.load(Map.of("FHIRHOOK_BOT_MAX_CONCURRENCY", "8"), Map.of("bot-max-concurrency-per-bot", "2"), null);
        assertThat(config.bots()).isEqualTo(new Config.Bots(8, 2));
        assertThatThrownBy(() -> ConfigLoader.load(Map.of(), Map.of("bot-max-concurrency", "4", "bot-max-concurrency-per-bot", "5"), null))
                .isInstanceOf(ConfigException.class).hasMessageContaining("bot-max-concurrency-per-bot")
                .hasMessageContaining("must not exceed");
    }

    @Test
    void rate_limits_are_taken_from_a_file() {
        var config = ConfigLoader.load(Map.of(), Map.of(), file(dir, "rate-limit-default=100", "rate-limit-auth=10", "rate-limit-login=1"));
        assertThat(config.rateLimits()).isEqualTo(new Config.RateLimits(100, 10, 1));
    }

    /** A typo such as {@code 10.0.0.256} would otherwise silently switch proxy trust off. */
    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.256", "999.1.1.1", "1.2.3", ":::", "..."})
    void a_trusted_proxy_that_only_looks_like_an_ip_address_is_rejected(String proxy) {
        var thrown = org.assertj.core.api.Assertions.catchThrowable(() ->
                ConfigLoader.load(Map.of("FHIRHOOK_TRUSTED_PROXIES", proxy), Map.of(), null));
        assertThat(thrown).as(proxy).isInstanceOf(ConfigException.class);
        assertThat(thrown.getMessage()).contains("trusted-proxies", "environment variable FHIRHOOK_TRUSTED_PROXIES", proxy);
    }

    // --- the real command line in a child process ---------------------------------------------------

    private record Exit(int code, String out, String err) {}

    private Exit runMain(Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var command = new java.util.ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"), "dev.fhirhook.Main"));
        command.addAll(List.of(args));
        var builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(k -> k.startsWith("FHIRHOOK_"));
        builder.environment().putAll(env);
        Process process = builder.start();
        try {
            var out = drain(process.getInputStream());
            var err = drain(process.getErrorStream());
            boolean exited = process.waitFor(60, TimeUnit.SECONDS);
            assertThat(exited).as("fhirhook %s did not exit within 60 s", String.join(" ", args)).isTrue();
            return new Exit(process.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static CompletableFuture<String> drain(InputStream in) {
        var text = new CompletableFuture<String>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                text.complete(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                text.complete("<" + e + ">");
            }
        });
        return text;
    }

    @Test
    void the_cli_exits_2_naming_the_port_when_the_port_flag_is_malformed() throws Exception {
        var exit = runMain(Map.of(), "serve", "--port", "abc", "--data", dir.toString());
        assertThat(exit.code()).as(exit.toString()).isEqualTo(2);
        assertThat(exit.err()).contains("configuration error", "port", "'abc'", "flag --port");
        assertThat(Optional.ofNullable(dir.toFile().list()).map(a -> a.length).orElse(0)).as("nothing was created in the data dir").isZero();
    }

    @Test
    void the_cli_exits_2_naming_an_unknown_environment_variable() throws Exception {
        var exit = runMain(Map.of("FHIRHOOK_PROT", "1"), "serve", "--port", "0", "--host", "127.0.0.1", "--data", dir.toString());
        assertThat(exit.code()).as(exit.toString()).isEqualTo(2);
        assertThat(exit.err()).contains("configuration error", "FHIRHOOK_PROT");
    }

    @Test
    void the_cli_prints_its_version() throws Exception {
        var exit = runMain(Map.of(), "version");
        assertThat(exit.code()).as(exit.toString()).isZero();
        assertThat(exit.out()).startsWith("fhirhook ");
        assertThat(exit.out().strip()).matches("fhirhook \\S+");
    }
}
