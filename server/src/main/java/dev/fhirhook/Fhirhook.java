package dev.fhirhook;

import dev.fhirhook.auth.AccessTokens;
import dev.fhirhook.auth.Authenticator;
import dev.fhirhook.auth.BasicAuthenticator;
import dev.fhirhook.auth.BearerAuthenticator;
import dev.fhirhook.auth.ClientCredentials;
import dev.fhirhook.auth.SigningKeys;
import dev.fhirhook.auth.TokenEndpoint;
import dev.fhirhook.auth.WellKnown;
import dev.fhirhook.auth.Bootstrap;
import dev.fhirhook.config.Config;
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
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;

/**
 * The composition root: builds every part of the server with {@code new}, in dependency order, and
 * stops them in reverse. Nothing else wires objects together.
 */
public final class Fhirhook implements AutoCloseable {
    public static final String VERSION = readVersion();

    private final Database database;
    private final HttpServer http;
    private final Bootstrap.AdminClient adminClient;

    private Fhirhook(Database database, HttpServer http, Bootstrap.AdminClient adminClient) {
        this.database = database;
        this.http = http;
        this.adminClient = adminClient;
    }

    /** Opens (or starts) PostgreSQL, migrates, bootstraps the super admin and starts serving HTTP. */
    public static Fhirhook start(Config config, Clock clock) {
        Database database = Database.open(config);
        try {
            var types = ResourceTypes.load();
            var searchParameters = SearchParameters.load(types);
            var parser = new SearchParser(searchParameters, types);
            var policyCriteria = new PolicyCriteria(parser, types);
            var store = new ResourceStore(database.jdbc(), clock, new SearchIndexer(searchParameters), policyCriteria);
            var adminClient = new Bootstrap(store, config).run();
            var keys = SigningKeys.loadOrCreate(store, store.findSuperAdminProject().orElseThrow().id());
            var credentials = new ClientCredentials(store, new MembershipPolicies(store, clock));
            var tokens = new AccessTokens(keys, clock);
            var oauth = new Routes.OAuth(new TokenEndpoint(store, credentials, tokens, clock), new WellKnown(keys));
            var authenticator = new Authenticator(new BasicAuthenticator(store, credentials, clock),
                    new BearerAuthenticator(store, credentials, tokens));
            var engine = new SearchEngine(database.jdbc(), clock, policyCriteria, config.database().poolSize() - 2);
            var search = new SearchApi(parser, engine, types, new SummaryElements());
            var resources = new ResourceApi(store, types, new ConditionalSearch(parser, engine));
            var routes = Routes.all(new Routes.Health(VERSION, database::healthy),
                    new Metadata(types, searchParameters, VERSION, clock), oauth, resources, search, new BundleApi(resources, search));
            var settings = new HttpServer.Settings(config.host(), config.port(), config.baseUrl(),
                    config.maxJsonBytes(), config.trustedProxies());
            var http = new HttpServer(settings, routes, authenticator, new RequestLimiter(config.rateLimits(), clock));
            http.start();
            return new Fhirhook(database, http, adminClient);
        } catch (Exception e) {
            database.close();
            throw e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
        }
    }

    public int port() { return http.port(); }

    public String baseUrl() { return http.baseUrl(); }

    public Database database() { return database; }

    public Bootstrap.AdminClient adminClient() { return adminClient; }

    @Override
    public void close() {
        try {
            http.close();
        } catch (Exception e) {
            // keep stopping: the database must still be closed
        } finally {
            database.close();
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
