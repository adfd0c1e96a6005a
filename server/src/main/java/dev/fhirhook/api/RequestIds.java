package dev.fhirhook.api;

/** The ids that tie a request to its logs, AuditEvents and OperationOutcomes. */
public record RequestIds(String requestId, String traceId) {}
