package dev.fhirhook.fhir.fhirpath;

/** One lexical token; {@code at} is its 0-based offset, {@code text} the decoded value (unquoted, unescaped). */
record Token(Kind kind, String text, int at) {
    enum Kind {
        IDENTIFIER,
        /** a `backtick-quoted` identifier: never a keyword */
        DELIMITED_IDENTIFIER,
        STRING,
        NUMBER,
        /** $this, $index, $total (text without the $) */
        SPECIAL_VARIABLE,
        /** %resource, %context, ... (text without the %) */
        ENVIRONMENT_VARIABLE,
        SYMBOL,
        END
    }

    boolean is(Kind kind, String text) {
        return this.kind == kind && this.text.equals(text);
    }

    boolean isSymbol(String symbol) {
        return is(Kind.SYMBOL, symbol);
    }

    /** A plain identifier spelled like the keyword; a delimited one never is. */
    boolean isKeyword(String keyword) {
        return is(Kind.IDENTIFIER, keyword);
    }

    boolean isName() {
        return kind == Kind.IDENTIFIER || kind == Kind.DELIMITED_IDENTIFIER;
    }

    String describe() {
        return switch (kind) {
            case END -> "end of expression";
            case STRING -> "string '" + text + "'";
            case SPECIAL_VARIABLE -> "'$" + text + "'";
            case ENVIRONMENT_VARIABLE -> "'%" + text + "'";
            default -> "'" + text + "'";
        };
    }
}
