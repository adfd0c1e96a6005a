package dev.fhirhook.fhir;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A check a feature package adds to every client write of a resource — create, update, conditional update,
 * patch and the entries of batch and transaction Bundles — after the structural validation and before the
 * store. It throws an {@link dev.fhirhook.api.ApiException} (400, naming the element) to refuse the write.
 * {@code fhir/} does not know the features; the composition root wires them in (for example the Bot's
 * {@code webhook} element), so dependencies keep pointing from the features to {@code fhir/}. Implementations
 * must be pure and thread-safe.
 */
@FunctionalInterface
public interface WriteCheck {
    WriteCheck NONE = (type, resource) -> { };

    /** @param resource the resource as it is about to be written; must not be changed */
    void check(String type, ObjectNode resource);
}
