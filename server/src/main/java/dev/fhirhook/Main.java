package dev.fhirhook;

import dev.fhirhook.config.Config;
import dev.fhirhook.config.ConfigException;
import dev.fhirhook.config.ConfigLoader;
import dev.fhirhook.db.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code serve}, {@code migrate}, {@code version}. No logic of its own. */
@Command(name = "fhirhook", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A FHIR R4 server whose Bots turn webhooks into FHIR records.",
        subcommands = {Main.Serve.class, Main.Migrate.class, Main.PrintVersion.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException) {
                cmd.getErr().println("fhirhook: configuration error: " + e.getMessage());
                return 2;
            }
            cmd.getErr().println("fhirhook: " + e.getMessage());
            return 1;
        }).execute(args));
    }

    /** Options shared by the commands that read the configuration. */
    static final class ConfigOptions {
        @Option(names = "--config", description = "properties file with configuration keys")
        Path config;
        @Option(names = "--data", description = "data directory (default ./data)")
        String data;
        @Option(names = "--port", description = "HTTP port (default 8103)")
        String port;
        @Option(names = "--host", description = "address to listen on (default 0.0.0.0)")
        String host;
        @Option(names = "--base-url", description = "public base URL (default http://localhost:<port>/)")
        String baseUrl;

        Config load() {
            Map<String, String> flags = new LinkedHashMap<>();
            flags.put("data", data);
            flags.put("port", port);
            flags.put("host", host);
            flags.put("base-url", baseUrl);
            return ConfigLoader.load(System.getenv(), flags, config);
        }
    }

    @Command(name = "serve", description = "Start the server (and the embedded PostgreSQL unless one is configured).")
    static final class Serve implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @Override
        public Integer call() throws InterruptedException {
            Config config = options.load();
            var server = Fhirhook.start(config, Clock.systemUTC());
            System.out.println("fhirhook " + Fhirhook.VERSION + " listening on " + server.baseUrl()
                    + " (FHIR base " + server.baseUrl() + "fhir/R4/)");
            server.awaitClosed(); // SIGTERM: the server's shutdown hook stops it in order
            return 0;
        }
    }

    @Command(name = "migrate", description = "Apply pending database migrations and exit.")
    static final class Migrate implements Callable<Integer> {
        @CommandLine.Mixin
        ConfigOptions options = new ConfigOptions();

        @Override
        public Integer call() {
            try (var db = Database.open(options.load())) {
                System.out.println("database is up to date");
            }
            return 0;
        }
    }

    @Command(name = "version", description = "Print the version.")
    static final class PrintVersion implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println("fhirhook " + Fhirhook.VERSION);
            return 0;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"fhirhook " + Fhirhook.VERSION};
        }
    }
}
