package dev.fhirhook.testing;

import dev.fhirhook.Fhirhook;
import dev.fhirhook.config.Config;
import dev.fhirhook.config.ConfigLoader;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.search.SearchIndexer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/**
 * The real server on port 0 with the embedded PostgreSQL, started once per test JVM and shared by all
 * tests; each test isolates itself in a fresh project ({@link #newProject()}).
 */
public final class TestServer {
    public static final String ADMIN_ID = "test-admin";
    public static final String ADMIN_SECRET = "test-admin-secret-0123456789";

    private static TestServer instance;
    private static final java.util.List<Path> TEMP_DIRS = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final Fhirhook server;
    private final Path dataDir;

    private TestServer(Fhirhook server, Path dataDir) {
        this.server = server;
        this.dataDir = dataDir;
    }

    public static synchronized TestServer get() {
        if (instance == null) {
            Path data = tempDir("fhirhook-test-");
            var server = Fhirhook.start(config(data, Map.of()), Clock.systemUTC());
            instance = new TestServer(server, data);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                TEMP_DIRS.forEach(TestServer::deleteQuietly); // each holds a PostgreSQL cluster: tens of MB
            }, "test-server-stop"));
        }
        return instance;
    }

    /** A new temporary directory, deleted when the test JVM ends (after the shared server has stopped). */
    public static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            TEMP_DIRS.add(dir);
            return dir;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort: a leftover temp directory is not a test failure
        }
    }

    /** Configuration for a test server in {@code data}, with extra keys (file-key form) on top. */
    public static Config config(Path data, Map<String, String> extra) {
        var flags = new HashMap<String, String>();
        flags.put("port", "0");
        flags.put("host", "127.0.0.1");
        flags.put("data", data.toString());
        flags.put("admin-client-id", ADMIN_ID);
        flags.put("admin-client-secret", ADMIN_SECRET);
        // servers no test stops are closed by their shutdown hook when the test JVM exits: keep that short
        flags.put("shutdown-grace", "5");
        flags.putAll(extra);
        return ConfigLoader.load(Map.of(), flags, null);
    }

    public Fhirhook server() { return server; }

    /**
     * A ResourceStore of its own on the shared database, on {@code clock}: what another node (or a component under
     * test) would have, with its own write counters.
     */
    public ResourceStore newStore(Clock clock) {
        return new ResourceStore(server.database().jdbc(), clock, Indexer.INSTANCE);
    }

    /** Loaded once, on first use. */
    private static final class Indexer {
        static final SearchIndexer INSTANCE = new SearchIndexer(SearchParameters.load(ResourceTypes.load()));
    }

    public String baseUrl() { return server.baseUrl(); }

    public Path dataDir() { return dataDir; }

    /** A client authenticated as the bootstrap super admin. */
    public Api admin() {
        return new Api(baseUrl(), ADMIN_ID, ADMIN_SECRET);
    }

    /** A client without credentials. */
    public Api anonymous() {
        return new Api(baseUrl(), null, null);
    }

    /** A new project with its own ClientApplication and membership, created by the super admin. */
    public TestProject newProject() {
        return TestProject.create(this);
    }
}
