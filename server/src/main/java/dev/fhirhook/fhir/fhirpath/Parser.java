package dev.fhirhook.fhir.fhirpath;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.fhirhook.fhir.fhirpath.Expr.Logic.Operator;
import dev.fhirhook.fhir.fhirpath.Token.Kind;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Recursive descent over the FHIRPath grammar, restricted to what search parameter expressions use. Precedence,
 * loosest first: {@code or}, {@code and}, {@code = !=}, {@code |}, {@code is as}, then invocation and indexing.
 * Everything else the grammar allows is recognised only to be rejected with a message naming it.
 */
final class Parser {
    static final int MAX_LENGTH = 4096;
    /** Parentheses and function arguments; each level costs a handful of stack frames while parsing. */
    static final int MAX_NESTING = 32;
    /** Height of the tree; evaluation recursion is proportional to it. R4's deepest expression needs about 8. */
    static final int MAX_DEPTH = 64;

    private static final Set<String> UNSUPPORTED_SYMBOLS = Set.of("~", "!~", "<", "<=", ">", ">=", "+", "-", "*", "/", "&");
    private static final Set<String> UNSUPPORTED_KEYWORDS = Set.of("implies", "xor", "in", "contains", "div", "mod");

    private final List<Token> tokens;
    private int index;
    private int nesting;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static Expr parse(String text) {
        if (text.length() > MAX_LENGTH) {
            throw new FhirPathException("expression is longer than " + MAX_LENGTH + " characters", MAX_LENGTH);
        }
        var parser = new Parser(Lexer.tokens(text));
        if (parser.peek().kind() == Kind.END) throw new FhirPathException("empty expression", 0);
        Expr expr = parser.or();
        if (parser.peek().kind() != Kind.END) throw parser.unexpected(parser.peek(), "an operator or the end of the expression");
        if (Expr.depth(expr) > MAX_DEPTH) throw new FhirPathException("expression nests deeper than " + MAX_DEPTH + " levels", 0);
        return expr;
    }

    private Expr or() {
        Expr left = and();
        while (peek().isKeyword("or")) {
            int at = next().at();
            left = new Expr.Logic(Operator.OR, left, and(), at);
        }
        return left;
    }

    private Expr and() {
        Expr left = equality();
        while (peek().isKeyword("and")) {
            int at = next().at();
            left = new Expr.Logic(Operator.AND, left, equality(), at);
        }
        return left;
    }

    private Expr equality() {
        Expr left = union();
        while (peek().isSymbol("=") || peek().isSymbol("!=")) {
            boolean negated = next().text().equals("!=");
            left = new Expr.Equality(left, union(), negated);
        }
        return left;
    }

    private Expr union() {
        Expr first = typeOperation();
        if (!peek().isSymbol("|")) return first;
        var parts = new ArrayList<Expr>(List.of(first));
        while (peek().isSymbol("|")) {
            next();
            parts.add(typeOperation());
        }
        return new Expr.Union(parts);
    }

    private Expr typeOperation() {
        Expr left = postfix();
        while (peek().isKeyword("is") || peek().isKeyword("as")) {
            Token operator = next();
            TypeSpecifier type = typeSpecifier();
            left = operator.text().equals("is") ? new Expr.Is(left, type, operator.at()) : new Expr.As(left, type);
        }
        return left;
    }

    private Expr postfix() {
        Expr expr = term();
        while (true) {
            if (peek().isSymbol(".")) {
                next();
                Token name = next();
                if (!name.isName()) throw unexpected(name, "a name after '.'");
                expr = peek().isSymbol("(") ? function(expr, name) : new Expr.Member(expr, name.text());
            } else if (peek().isSymbol("[")) {
                next();
                Token number = next();
                if (number.kind() != Kind.NUMBER || number.text().contains(".")) {
                    throw new FhirPathException("an indexer must be a non-negative integer literal", number.at());
                }
                int index;
                try {
                    index = Integer.parseInt(number.text());
                } catch (NumberFormatException e) {
                    throw new FhirPathException("indexer " + number.text() + " is too large", number.at());
                }
                expect("]");
                expr = new Expr.Index(expr, index);
            } else {
                return expr;
            }
        }
    }

    private Expr term() {
        Token token = next();
        return switch (token.kind()) {
            case STRING -> new Expr.Literal(new FhirPath.Item(TextNode.valueOf(token.text()), "string"));
            case NUMBER -> number(token);
            case SPECIAL_VARIABLE -> {
                if (!token.text().equals("this")) throw new FhirPathException("'$" + token.text() + "' is not supported", token.at());
                yield new Expr.Focus();
            }
            case ENVIRONMENT_VARIABLE -> new Expr.Variable(switch (token.text()) {
                case "resource" -> Expr.Variable.Name.RESOURCE;
                case "rootResource" -> Expr.Variable.Name.ROOT_RESOURCE;
                case "context" -> Expr.Variable.Name.CONTEXT;
                default -> throw new FhirPathException("unknown variable '%" + token.text() + "'", token.at());
            });
            case IDENTIFIER, DELIMITED_IDENTIFIER -> name(token);
            case SYMBOL -> {
                if (!token.text().equals("(")) throw unexpected(token, "an expression");
                enter(token);
                Expr inner = or();
                expect(")");
                nesting--;
                yield inner;
            }
            case END -> throw unexpected(token, "an expression");
        };
    }

    private Expr name(Token token) {
        if (token.kind() == Kind.IDENTIFIER && (token.text().equals("true") || token.text().equals("false"))) {
            return new Expr.Literal(new FhirPath.Item(BooleanNode.valueOf(token.text().equals("true")), "boolean"));
        }
        if (token.kind() == Kind.IDENTIFIER && UNSUPPORTED_KEYWORDS.contains(token.text()) && !peek().isSymbol("(")) {
            throw unexpected(token, "an expression");
        }
        if (peek().isSymbol("(")) return function(new Expr.Focus(), token);
        // element names are lowerCamel in FHIR, so a leading capital names a type: Patient.name, Resource.id
        if (Character.isUpperCase(token.text().charAt(0))) {
            return new Expr.As(new Expr.Focus(), TypeSpecifier.of(null, token.text(), token.at()));
        }
        return new Expr.Member(new Expr.Focus(), token.text());
    }

    private Expr function(Expr focus, Token nameToken) {
        Token open = next(); // the '(' the caller saw
        enter(open);
        String name = nameToken.text();
        int at = nameToken.at();
        Expr call = switch (name) {
            case "where" -> new Expr.Where(focus, argument(), at);
            case "exists" -> peek().isSymbol(")") ? new Expr.Exists(focus) : new Expr.Exists(new Expr.Where(focus, argument(), at));
            case "empty" -> new Expr.Empty(noArguments(focus, name));
            case "first" -> new Expr.Index(noArguments(focus, name), 0);
            case "not" -> new Expr.Not(noArguments(focus, name), at);
            case "resolve" -> new Expr.Resolve(noArguments(focus, name));
            case "extension" -> {
                Token url = next();
                if (url.kind() != Kind.STRING) throw new FhirPathException("extension() takes a string literal url", url.at());
                yield new Expr.Extension(focus, url.text());
            }
            case "as", "ofType" -> new Expr.As(focus, typeSpecifier());
            case "is" -> new Expr.Is(focus, typeSpecifier(), at);
            default -> throw new FhirPathException("function '" + name + "' is not supported", at);
        };
        if (!peek().isSymbol(")")) {
            throw peek().isSymbol(",") ? new FhirPathException("too many arguments to " + name + "()", peek().at()) : unexpected(peek(), "')'");
        }
        next();
        nesting--;
        return call;
    }

    private Expr argument() {
        if (peek().isSymbol(")")) throw new FhirPathException("missing argument", peek().at());
        return or();
    }

    private Expr noArguments(Expr focus, String name) {
        if (!peek().isSymbol(")")) throw new FhirPathException(name + "() takes no arguments", peek().at());
        return focus;
    }

    private TypeSpecifier typeSpecifier() {
        Token first = next();
        if (!first.isName()) throw unexpected(first, "a type name");
        if (peek().isSymbol(".") && tokens.get(index + 1).isName()) {
            next();
            Token second = next();
            return TypeSpecifier.of(first.text(), second.text(), first.at());
        }
        return TypeSpecifier.of(null, first.text(), first.at());
    }

    private static Expr number(Token token) {
        var value = new BigDecimal(token.text());
        if (token.text().contains(".")) return new Expr.Literal(new FhirPath.Item(DecimalNode.valueOf(value), "decimal"));
        try {
            long n = value.longValueExact();
            var node = n == (int) n ? IntNode.valueOf((int) n) : LongNode.valueOf(n);
            return new Expr.Literal(new FhirPath.Item(node, "integer"));
        } catch (ArithmeticException e) {
            throw new FhirPathException("integer " + token.text() + " is out of range", token.at());
        }
    }

    private void enter(Token token) {
        if (++nesting > MAX_NESTING) {
            throw new FhirPathException("expression nests deeper than " + MAX_NESTING + " parentheses or function calls", token.at());
        }
    }

    private void expect(String symbol) {
        Token token = next();
        if (!token.isSymbol(symbol)) throw unexpected(token, "'" + symbol + "'");
    }

    private FhirPathException unexpected(Token token, String expected) {
        if ((token.kind() == Kind.SYMBOL && UNSUPPORTED_SYMBOLS.contains(token.text()))
                || (token.kind() == Kind.IDENTIFIER && UNSUPPORTED_KEYWORDS.contains(token.text()))) {
            return new FhirPathException("operator '" + token.text() + "' is not supported", token.at());
        }
        return new FhirPathException("expected " + expected + " but found " + token.describe(), token.at());
    }

    private Token peek() {
        return tokens.get(index);
    }

    private Token next() {
        Token token = tokens.get(index);
        if (token.kind() != Kind.END) index++;
        return token;
    }
}
