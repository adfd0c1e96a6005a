package dev.fhirhook.webhook;

/** The outcome of resolving the membership in a webhook URL. */
sealed interface Resolution {
    record Found(Target target) implements Resolution {}

    record Refused(Refusal refusal) implements Resolution {}
}
