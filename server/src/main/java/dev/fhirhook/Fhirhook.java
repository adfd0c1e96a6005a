package dev.fhirhook;

import dev.fhirhook.audit.SecurityAudit;
import dev.fhirhook.auth.AccessTokens;
import dev.fhirhook.auth.Authenticator;
import dev.fhirhook.auth.BasicAuthenticator;
import dev.fhirhook.auth.BearerAuthenticator;
import dev.fhirhook.auth.ClientCredentials;
import dev.fhirhook.auth.Delegation;
import dev.fhirhook.auth.SigningKeys;
import dev.fhirhook.auth.TokenEndpoint;
import dev.fhirhook.auth.WellKnown;
import dev.fhirhook.auth.Bootstrap;
import dev.fhirhook.audit.AuditLog;
import dev.fhirhook.bot.AsyncJobs;
import dev.fhirhook.bot.BotApi;
import dev.fhirhook.bot.BotExecutor;
import dev.fhirhook.bot.Secrets;
import dev.fhirhook.bot.runtime.BotRuntime;
import dev.fhirhook.auth.ClientRegistration;
import dev.fhirhook.auth.MembershipUpdate;
import dev.fhirhook.auth.ProjectAdmins;
import dev.fhirhook.auth.SecretRotation;
import dev.fhirhook.bot.BotCreation;
import dev.fhirhook.config.Config;
import dev.fhirhook.fhir.InProcessFhir;
import dev.fhirhook.policy.MembershipPolicies;
import dev.fhirhook.db.Database;
import dev.fhirhook.fhir.BundleApi;
import dev.fhirhook.fhir.Metadata;
import dev.fhirhook.fhir.ResourceApi;
import dev.fhirhook.fhir.ResourceStore;
import dev.fhirhook.fhir.ResourceTypes;
import dev.fhirhook.fhir.definitions.SearchParameters;
import dev.fhirhook.fhir.search.ConditionalSearch;
import dev.fhirhook.fhir.search.PolicyCriteria;
import dev.fhirhook.fhir.search.SearchApi;
import dev.fhirhook.fhir.search.SearchEngine;
import dev.fhirhook.fhir.search.SearchIndexer;
import dev.fhirhook.fhir.search.SearchParser;
import dev.fhirhook.fhir.definitions.SummaryElements;
import dev.fhirhook.http.HttpServer;
import dev.fhirhook.http.RequestLimiter;
import dev.fhirhook.http.Routes;
import dev.fhirhook.policy.MembershipPolicies;
import dev.fhirhook.webhook.WebhookEndpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * The composition root: builds every part of the server with {@code new}, in dependency order, and
 * stops them in reverse. Nothing else wires objects together.
 */
public final class Fhirhook implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Fhirhook.class);
    public static final String VERSION = readVersion();

    private final Database database;
    private final HttpServer http;
    private final Bootstrap.AdminClient adminClient;
    private final BotRuntime botRuntime;
    private final AsyncJobs jobs;
    private final WebhookEndpoint webhooks;
    private final AuditLog auditLog;
    private final Thread shutdownHook = new Thread(this::close, "fhirhook-shutdown");
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

    /** What runs besides HTTP and the database, closed in reverse order of start. */
    private record Running(BotRuntime botRuntime, AsyncJobs jobs, WebhookEndpoint webhooks, AuditLog auditLog) {}

    private Fhirhook(Database database, HttpServer http, Bootstrap.AdminClient adminClient, Running running) {
        this.database = database;
        this.http = http;
        this.adminClient = adminClient;
        this.botRuntime = running.botRuntime();
        this.jobs = running.jobs();
        this.webhooks = running.webhooks();
        this.auditLog = running.auditLog();
        // one hook closes everything in order on SIGTERM: HTTP first (letting requests in flight finish), the
        // embedded PostgreSQL last; the hook that stopped PostgreSQL during start-up would stop it under the
        // requests still running
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        database.leaveStopToOwner();
    }

    /** Opens (or starts) PostgreSQL, migrates, bootstraps the super admin and starts serving HTTP. */
    public static Fhirhook start(Config config, Clock clock) {
        Database database = Database.open(config);
        BotRuntime botRuntime = null;
        WebhookEndpoint webhooks = null;
        AuditLog auditLog = null;
        try {
            var types = ResourceTypes.load();
            var searchParameters = SearchParameters.load(types);
            var parser = new SearchParser(searchParameters, types);
            var policyCriteria = new PolicyCriteria(parser, types);
            var store = new ResourceStore(database.jdbc(), clock, new SearchIndexer(searchParameters), policyCriteria);
            long recomputed = store.upgradeCompartments();
            if (recomputed > 0) LOG.info("meta.compartment recomputed in {} stored resources (upgrade V15)", recomputed);
            var adminClient = new Bootstrap(store, config).run();
            var keys = SigningKeys.loadOrCreate(store, store.findSuperAdminProject().orElseThrow().id());
            var policies = new MembershipPolicies(store, clock);
            var credentials = new ClientCredentials(store, policies);
            var tokens = new AccessTokens(keys, clock);
            var audit = new SecurityAudit(clock);
            var oauth = new Routes.OAuth(new TokenEndpoint(store, credentials, tokens, clock, audit), new WellKnown(keys));
            var authenticator = new Authenticator(new BasicAuthenticator(store, credentials, clock),
                    new BearerAuthenticator(store, credentials, tokens), audit, new Delegation(store, policies));
            var engine = new SearchEngine(database.jdbc(), clock, policyCriteria, config.database().poolSize() - 2);
            var search = new SearchApi(parser, engine, types, new SummaryElements());
            var resources = new ResourceApi(store, types, new ConditionalSearch(parser, engine),
                    WebhookEndpoint.botCheck(config.webhookMaxBodyBytes()), config.maxJsonBytes());
            var admins = new ProjectAdmins(store);
            var admin = new Routes.Admin(new ClientRegistration(store, admins), new MembershipUpdate(store, admins),
                    new BotCreation(store, admins), new SecretRotation(store, admins));
            var bundles = new BundleApi(resources, search);
            var fhir = new InProcessFhir(resources, search, bundles);
            botRuntime = new BotRuntime(BotRuntime.Settings.forServer(config.bots().maxConcurrentRuns(),
                    config.bots().maxConcurrentRunsPerBot()));
            var secrets = new Secrets(store, clock);
            auditLog = new AuditLog(store);
            var executor = new BotExecutor(botRuntime, new BotExecutor.Backend(store, fhir, secrets,
                    policies, auditLog), clock);
            var jobs = new AsyncJobs(store, executor, clock);
            webhooks = new WebhookEndpoint(new WebhookEndpoint.Parts(store, policies, secrets, auditLog, executor), clock,
                    config.webhookMaxBodyBytes());
            var routes = Routes.all(new Routes.Health(VERSION, database::healthy),
                    new Metadata(types, searchParameters, VERSION, clock), oauth, admin, resources, search, bundles,
                    new Routes.Bots(new BotApi(executor, botRuntime, fhir, store, jobs), jobs), webhooks);
            var settings = new HttpServer.Settings(config.host(), config.port(), config.baseUrl(),
                    config.maxJsonBytes(), config.trustedProxies(), config.shutdownGrace(), config.bodyReadTimeout());
            var limiter = switch (config.rateLimitStore()) {
                case LOCAL -> new RequestLimiter(config.rateLimits(), clock);
                case POSTGRES -> RequestLimiter.shared(config.rateLimits(), clock, database.dataSource());
            };
            var http = new HttpServer(settings, routes, authenticator, limiter, audit, BotRuntime.callerThreads());
            http.start();
            return new Fhirhook(database, http, adminClient, new Running(botRuntime, jobs, webhooks, auditLog));
        } catch (Exception e) {
            if (webhooks != null) webhooks.close();
            if (botRuntime != null) botRuntime.close();
            if (auditLog != null) auditLog.close();
            database.close();
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
        }
    }

    public int port() { return http.port(); }

    public String baseUrl() { return http.baseUrl(); }

    public Database database() { return database; }

    public Bootstrap.AdminClient adminClient() { return adminClient; }

    /** Blocks until {@link #close()} has finished, whoever called it (the shutdown hook on SIGTERM). */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Stops serving (requests in flight get the configured grace), then the runtime, the audit log and the database.
     * A second caller, such as the shutdown hook while a stop is under way, returns once the first has finished.
     */
    @Override
    public synchronized void close() {
        if (closed.getCount() == 0) return; // stopped already, by the caller this one waited for
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down already; the hook will find this instance closed
            }
        }
        try {
            http.close();
        } catch (Exception e) {
            // keep stopping: the database must still be closed
        } finally {
            try {
                webhooks.close(); // writes the queued webhook AuditEvents while the database is still there
                jobs.close();
                botRuntime.close();
                auditLog.close(); // after the runs that write to it, before the database
                database.close();
            } finally {
                closed.countDown();
            }
        }
    }

    private static String readVersion() {
        try (InputStream in = Fhirhook.class.getResourceAsStream("/fhirhook-version.txt")) {
            if (in == null) return "dev";
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "dev";
        }
    }
}
