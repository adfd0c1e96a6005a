package dev.fhirhook.fhir.fhirpath;

import dev.fhirhook.fhir.fhirpath.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/** Splits a FHIRPath expression into tokens. Operators we do not evaluate are still tokenized so the parser can name them. */
final class Lexer {
    private static final List<String> SYMBOLS = List.of( // longest first, so "!=" wins over "!"
            "!=", "!~", "<=", ">=", ".", "(", ")", "[", "]", ",", "|", "=", "~", "<", ">", "+", "-", "*", "/", "&", "{", "}");

    private final String text;
    private int pos;

    private Lexer(String text) {
        this.text = text;
    }

    static List<Token> tokens(String text) {
        return new Lexer(text).all();
    }

    private List<Token> all() {
        var tokens = new ArrayList<Token>();
        while (true) {
            skipWhitespaceAndComments();
            if (pos >= text.length()) {
                tokens.add(new Token(Kind.END, "", pos));
                return tokens;
            }
            tokens.add(next());
        }
    }

    private Token next() {
        int start = pos;
        char c = text.charAt(pos);
        if (identifierStart(c)) return new Token(Kind.IDENTIFIER, identifier(), start);
        if (c == '`') {
            String name = quoted('`');
            if (name.isEmpty()) throw new FhirPathException("empty identifier", start);
            return new Token(Kind.DELIMITED_IDENTIFIER, name, start);
        }
        if (c == '\'') return new Token(Kind.STRING, quoted('\''), start);
        if (isDigit(c)) return new Token(Kind.NUMBER, number(), start);
        if (c == '$') {
            pos++;
            if (pos >= text.length() || !identifierStart(text.charAt(pos))) throw new FhirPathException("expected a name after '$'", start);
            return new Token(Kind.SPECIAL_VARIABLE, identifier(), start);
        }
        if (c == '%') {
            pos++;
            if (pos < text.length() && identifierStart(text.charAt(pos))) return new Token(Kind.ENVIRONMENT_VARIABLE, identifier(), start);
            if (pos < text.length() && (text.charAt(pos) == '`' || text.charAt(pos) == '\'')) {
                return new Token(Kind.ENVIRONMENT_VARIABLE, quoted(text.charAt(pos)), start);
            }
            throw new FhirPathException("expected a name after '%'", start);
        }
        if (c == '@') throw new FhirPathException("date/time literals (@...) are not supported", start);
        for (String symbol : SYMBOLS) {
            if (text.startsWith(symbol, pos)) {
                pos += symbol.length();
                return new Token(Kind.SYMBOL, symbol, start);
            }
        }
        throw new FhirPathException("unexpected character '" + c + "'", start);
    }

    private void skipWhitespaceAndComments() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (Character.isWhitespace(c)) {
                pos++;
            } else if (text.startsWith("//", pos)) {
                int end = text.indexOf('\n', pos);
                pos = end < 0 ? text.length() : end + 1;
            } else if (text.startsWith("/*", pos)) {
                int end = text.indexOf("*/", pos + 2);
                if (end < 0) throw new FhirPathException("unterminated comment", pos);
                pos = end + 2;
            } else {
                return;
            }
        }
    }

    private String identifier() {
        int start = pos;
        while (pos < text.length() && (identifierStart(text.charAt(pos)) || isDigit(text.charAt(pos)))) pos++;
        return text.substring(start, pos);
    }

    private String number() {
        int start = pos;
        while (pos < text.length() && isDigit(text.charAt(pos))) pos++;
        // a '.' not followed by a digit is member access on an integer, as in "1.toString()"
        if (pos + 1 < text.length() && text.charAt(pos) == '.' && isDigit(text.charAt(pos + 1))) {
            pos++;
            while (pos < text.length() && isDigit(text.charAt(pos))) pos++;
        }
        return text.substring(start, pos);
    }

    private String quoted(char quote) {
        int start = pos;
        pos++;
        var out = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos++);
            if (c == quote) return out.toString();
            if (c != '\\') {
                out.append(c);
                continue;
            }
            if (pos >= text.length()) break;
            int escapeAt = pos - 1;
            char e = text.charAt(pos++);
            switch (e) {
                case '\'', '"', '`', '\\', '/' -> out.append(e);
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw new FhirPathException("incomplete \\u escape", escapeAt);
                    try {
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw new FhirPathException("invalid \\u escape", escapeAt);
                    }
                    pos += 4;
                }
                default -> throw new FhirPathException("invalid escape '\\" + e + "'", escapeAt);
            }
        }
        throw new FhirPathException("unterminated " + (quote == '`' ? "identifier" : "string"), start);
    }

    private static boolean identifierStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
