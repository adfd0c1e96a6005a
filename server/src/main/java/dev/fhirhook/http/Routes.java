package dev.fhirhook.http;

import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.auth.ClientRegistration;
import dev.fhirhook.auth.MembershipUpdate;
import dev.fhirhook.auth.SecretRotation;
import dev.fhirhook.auth.TokenEndpoint;
import dev.fhirhook.bot.AsyncJobs;
import dev.fhirhook.bot.BotApi;
import dev.fhirhook.auth.WellKnown;
import dev.fhirhook.bot.BotCreation;
import dev.fhirhook.fhir.BundleApi;
import dev.fhirhook.fhir.Metadata;
import dev.fhirhook.fhir.ResourceApi;
import dev.fhirhook.fhir.search.SearchApi;
import dev.fhirhook.webhook.WebhookEndpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/** The whole route table of the server, in one place (the Router picks the most specific template). */
public final class Routes {
    private Routes() {}

    /** What the health check reports. */
    public record Health(String version, BooleanSupplier database) {}

    /** The OAuth2 endpoints, which need no credentials of the request's own. */
    public record OAuth(TokenEndpoint token, WellKnown wellKnown) {}

    /** Project administration: clients, bots and memberships with their access, secret rotation. */
    public record Admin(ClientRegistration clients, MembershipUpdate members, BotCreation bots, SecretRotation secrets) {}

    /** Bots and their async jobs. */
    public record Bots(BotApi api, AsyncJobs jobs) {}

    public static List<Route> all(Health health, Metadata metadata, OAuth oauth, Admin admin, ResourceApi resources,
            SearchApi search, BundleApi bundles, Bots bots, WebhookEndpoint webhooks) {
        var routes = new ArrayList<>(List.of(
                Route.of("POST", "/fhir/R4/Bot/{id}/$deploy",
                        (Route.Authenticated) (rq, p) -> bots.api().deploy(rq, p.scope(), p.profile()))
                        .withBodyLimit(BotApi.MAX_DEPLOY_BODY_BYTES),
                Route.of("GET", "/fhir/R4/job/{id}/status", (Route.Authenticated) (rq, p) -> bots.jobs().status(rq, p.scope())),
                Route.of("DELETE", "/fhir/R4/job/{id}/status", (Route.Authenticated) (rq, p) -> bots.jobs().cancel(rq, p.scope())),
                Route.of("GET", "/healthcheck", (Route.Open) rq -> health(health)),
                Route.of("GET", "/fhir/R4/metadata", (Route.Open) rq -> metadata.response()),
                Route.of("POST", "/oauth2/token", (Route.Open) oauth.token()::handle),
                Route.of("GET", "/.well-known/jwks.json", (Route.Open) oauth.wellKnown()::jwks),
                Route.of("GET", "/.well-known/openid-configuration", (Route.Open) oauth.wellKnown()::openidConfiguration),
                Route.of("POST", "/admin/projects/{projectId}/client", (Route.Authenticated) admin.clients()::create),
                Route.of("POST", "/admin/projects/{projectId}/bot", (Route.Authenticated) admin.bots()::createInProject),
                Route.of("POST", "/admin/projects/{projectId}/members/{membershipId}",
                        (Route.Authenticated) admin.members()::update),
                Route.of("POST", "/fhir/R4/Bot/$init", (Route.Authenticated) admin.bots()::init),
                Route.of("POST", "/fhir/R4/ClientApplication/{id}/$rotate-secret", (Route.Authenticated) admin.secrets()::rotate),
                Route.of("POST", "/fhir/R4", (Route.Authenticated) (rq, p) -> bundles.process(rq, p.scope())),
                Route.of("GET", "/fhir/R4/{type}", (Route.Authenticated) (rq, p) -> search.search(rq, p.scope())),
                Route.of("POST", "/fhir/R4/{type}", (Route.Authenticated) (rq, p) -> resources.create(rq, p.scope())),
                Route.of("PUT", "/fhir/R4/{type}", (Route.Authenticated) (rq, p) -> resources.conditionalUpdate(rq, p.scope())),
                Route.of("PATCH", "/fhir/R4/{type}", (Route.Authenticated) (rq, p) -> resources.conditionalPatch(rq, p.scope())),
                Route.of("DELETE", "/fhir/R4/{type}", (Route.Authenticated) (rq, p) -> resources.conditionalDelete(rq, p.scope())),
                Route.of("POST", "/fhir/R4/{type}/_search", (Route.Authenticated) (rq, p) -> search.searchPost(rq, p.scope())),
                Route.of("GET", "/fhir/R4/{type}/_history", (Route.Authenticated) (rq, p) -> resources.typeHistory(rq, p.scope())),
                Route.of("GET", "/fhir/R4/{type}/{id}", (Route.Authenticated) (rq, p) -> resources.read(rq, p.scope())),
                Route.of("PUT", "/fhir/R4/{type}/{id}", (Route.Authenticated) (rq, p) -> resources.update(rq, p.scope())),
                Route.of("PATCH", "/fhir/R4/{type}/{id}", (Route.Authenticated) (rq, p) -> resources.patch(rq, p.scope())),
                Route.of("DELETE", "/fhir/R4/{type}/{id}", (Route.Authenticated) (rq, p) -> resources.delete(rq, p.scope())),
                Route.of("GET", "/fhir/R4/{type}/{id}/_history",
                        (Route.Authenticated) (rq, p) -> resources.instanceHistory(rq, p.scope())),
                Route.of("GET", "/fhir/R4/{type}/{id}/_history/{vid}",
                        (Route.Authenticated) (rq, p) -> resources.vread(rq, p.scope())),
                Route.of("GET", "/admin/webhook-metrics", (Route.Authenticated) (rq, p) -> webhookMetrics(webhooks, p))));
        // $execute, also under /api (medplum-compat §5.1)
        for (String prefix : List.of("", "/api")) {
            for (String path : List.of("/fhir/R4/Bot/{id}/$execute/{rest*}", "/fhir/R4/Bot/$execute")) {
                for (String method : List.of("GET", "POST")) {
                    routes.add(Route.of(method, prefix + path, (Route.Authenticated) (rq, p) -> execute(bots, rq, p)));
                }
            }
        }
        // public webhooks (medplum-compat §4.1): no credentials; the chain reads the body itself, after its checks,
        // under the Bot's own limit; the route's limit is the largest a Bot may set
        for (String prefix : List.of("", "/api")) {
            for (String path : List.of("/webhook/{id}", "/projects/{projectId}/webhook/{id}")) {
                for (String method : List.of("GET", "POST")) {
                    routes.add(Route.of(method, prefix + path, (Route.Raw) webhooks::handle)
                            .withBodyLimit(webhooks.serverMaxBodyBytes()));
                }
            }
        }
        return List.copyOf(routes);
    }

    private static ApiResponse webhookMetrics(WebhookEndpoint webhooks, dev.fhirhook.auth.Principal principal) {
        if (!principal.scope().superAdmin()) {
            throw dev.fhirhook.api.ApiException.forbidden("auth.super-admin-only", "Forbidden");
        }
        return ApiResponse.json(200, ApiResponse.JSON, webhooks.metrics().toString()
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static ApiResponse execute(Bots bots, dev.fhirhook.api.ApiRequest request, dev.fhirhook.auth.Principal principal) {
        return bots.api().execute(request, principal.scope(), principal.profile(), java.util.Optional.of(principal.membershipId()));
    }

    private static ApiResponse health(Health health) {
        boolean db = health.database().getAsBoolean();
        String body = "{\"ok\":" + db + ",\"version\":\"" + health.version() + "\",\"postgres\":" + db + "}";
        return ApiResponse.json(db ? 200 : 503, ApiResponse.JSON, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
