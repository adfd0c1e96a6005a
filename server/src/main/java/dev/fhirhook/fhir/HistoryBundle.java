package dev.fhirhook.fhir;

import dev.fhirhook.api.ApiRequest;
import dev.fhirhook.api.ApiResponse;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Renders a page of versions as a FHIR {@code history} Bundle with self/next/previous links. */
final class HistoryBundle {
    private HistoryBundle() {}

    static ApiResponse render(ApiRequest request, ResourceStore.HistoryPage page, HistoryPaging paging) {
        var mapper = FhirJson.mapper();
        var bundle = mapper.createObjectNode();
        bundle.put("resourceType", "Bundle");
        bundle.put("type", "history");
        page.total().ifPresent(total -> bundle.put("total", total));
        var links = bundle.putArray("link");
        links.addObject().put("relation", "self").put("url", pageUrl(request, paging, paging.offset()));
        if (page.versions().size() == paging.count() && paging.count() > 0) {
            links.addObject().put("relation", "next").put("url", pageUrl(request, paging, paging.offset() + paging.count()));
        }
        if (paging.offset() > 0) {
            links.addObject().put("relation", "previous")
                    .put("url", pageUrl(request, paging, Math.max(0, paging.offset() - paging.count())));
        }
        var entries = bundle.putArray("entry");
        for (var version : page.versions()) {
            var entry = entries.addObject();
            String relative = version.type() + "/" + version.id();
            entry.put("fullUrl", request.baseUrl() + "fhir/R4/" + relative);
            if (!version.deleted()) entry.set("resource", version.json());
            entry.putObject("request").put("method", version.method())
                    .put("url", "POST".equals(version.method()) ? version.type() : relative);
            var response = entry.putObject("response");
            response.put("status", version.deleted() ? "410" : "POST".equals(version.method()) ? "201" : "200");
            response.put("etag", version.etag());
            response.put("lastModified", Instants.format(version.lastUpdated()));
        }
        return ApiResponse.json(200, ApiResponse.FHIR_JSON, FhirJson.bytes(bundle));
    }

    private static String pageUrl(ApiRequest request, HistoryPaging paging, int offset) {
        var url = new StringBuilder(request.baseUrl()).append(request.path().substring(1));
        url.append("?_count=").append(paging.count()).append("&_offset=").append(offset);
        paging.since().ifPresent(s -> url.append("&_since=")
                .append(URLEncoder.encode(Instants.format(s), StandardCharsets.UTF_8)));
        return url.toString();
    }
}
