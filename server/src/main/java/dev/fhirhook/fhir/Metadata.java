package dev.fhirhook.fhir;

import dev.fhirhook.api.ApiResponse;
import dev.fhirhook.fhir.definitions.SearchParam;
import dev.fhirhook.fhir.definitions.SearchParamType;
import dev.fhirhook.fhir.definitions.SearchParameters;
import java.time.Clock;

/**
 * The CapabilityStatement at {@code /fhir/R4/metadata}. It lists only what this server really does, so a
 * client can trust it; later features add their interactions here. Built once: it does not change while
 * the server runs.
 */
public final class Metadata {
    private final byte[] body;

    public Metadata(ResourceTypes types, SearchParameters parameters, String version, Clock clock) {
        var cs = FhirJson.mapper().createObjectNode();
        cs.put("resourceType", "CapabilityStatement");
        cs.put("status", "active");
        cs.put("date", Instants.format(clock.instant()));
        cs.put("publisher", "fhirhook");
        cs.put("kind", "instance");
        cs.putObject("software").put("name", "fhirhook").put("version", version);
        cs.putObject("implementation").put("description", "fhirhook FHIR R4 server");
        cs.put("fhirVersion", "4.0.1");
        cs.putArray("format").add("json");
        cs.putArray("patchFormat").add("application/json-patch+json");
        var rest = cs.putArray("rest").addObject();
        rest.put("mode", "server");
        var security = rest.putObject("security");
        var services = security.putArray("service");
        for (String code : new String[] {"OAuth", "Basic"}) {
            services.addObject().putArray("coding").addObject()
                    .put("system", "http://terminology.hl7.org/CodeSystem/restful-security-service")
                    .put("code", code);
        }
        security.put("description", "OAuth2 client credentials (POST /oauth2/token, then Authorization: Bearer "
                + "<access_token>; discovery at /.well-known/openid-configuration) or HTTP Basic with a "
                + "ClientApplication id and secret.");
        var resources = rest.putArray("resource");
        for (String type : types.all()) {
            var r = resources.addObject();
            r.put("type", type);
            var interactions = r.putArray("interaction");
            for (String code : new String[] {"read", "vread", "update", "patch", "delete", "history-instance",
                    "history-type", "create", "search-type"}) {
                interactions.addObject().put("code", code);
            }
            r.put("versioning", "versioned-update");
            r.put("readHistory", true);
            r.put("updateCreate", true);
            r.put("conditionalCreate", true);
            r.put("conditionalUpdate", true);
            r.put("conditionalDelete", "single");
            var searchParams = r.putArray("searchParam");
            var includes = r.putArray("searchInclude");
            for (SearchParam param : parameters.of(type)) {
                if (param.type() == SearchParamType.SPECIAL) continue;
                if (param.expression().isEmpty() && !param.code().equals("_id") && !param.code().equals("_lastUpdated")) continue;
                searchParams.addObject().put("name", param.code()).put("definition", param.url()).put("type", param.type().code());
                if (param.type() == SearchParamType.REFERENCE) includes.add(type + ":" + param.code());
            }
        }
        var system = rest.putArray("interaction");
        system.addObject().put("code", "transaction");
        system.addObject().put("code", "batch");
        this.body = FhirJson.bytes(cs);
    }

    public ApiResponse response() {
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, body);
    }
}
