package dev.fhirhook.fhir;

/**
 * Whose resources a request may touch. A project-bound scope sees and writes only its own project; the
 * super-admin scope reads every project and writes into its own unless a resource names another in
 * {@code meta.project}.
 *
 * @param projectId the project new resources go into
 * @param author reference written to {@code meta.author}, such as {@code ClientApplication/123}
 */
public record Scope(String projectId, String author, boolean superAdmin) {
    /** The scope of the server itself (bootstrap, authentication look-ups): every project. */
    public static Scope system(String projectId) {
        return new Scope(projectId, "system", true);
    }
}
