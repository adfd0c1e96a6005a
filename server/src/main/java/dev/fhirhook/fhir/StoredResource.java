package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.UUID;

/**
 * One version of a resource as stored. {@code content} is the full JSON including {@code meta}; for a
 * deleted version it is the last content before deletion and must not be shown.
 */
public record StoredResource(
        String type,
        String id,
        String projectId,
        UUID versionId,
        Instant lastUpdated,
        boolean deleted,
        String method,
        String content) {

    public ObjectNode json() {
        return FhirJson.parseStored(content);
    }

    /** Weak ETag in FHIR's form, {@code W/"<versionId>"}. */
    public String etag() {
        return "W/\"" + versionId + "\"";
    }
}
