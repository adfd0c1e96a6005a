package dev.fhirhook.fhir.fhirpath;

/**
 * A FHIRPath expression that cannot be parsed (syntax, an unsupported construct, a limit) or, rarely, that cannot
 * be evaluated on a given input (e.g. a boolean operator applied to several items). {@link #position()} is the
 * 0-based character offset in the expression the problem was found at.
 */
public final class FhirPathException extends RuntimeException {
    private final int position;

    FhirPathException(String message, int position) {
        super(message + " at position " + position);
        this.position = position;
    }

    /** 0-based offset into the expression text. */
    public int position() {
        return position;
    }
}
