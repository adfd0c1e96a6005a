package dev.fhirhook.policy;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code ipAccessRule[]} of a membership's access policies, parsed, and the decision for one client address.
 * Pure: no I/O, no DNS (addresses are parsed with {@link InetAddress#ofLiteral}). Immutable and thread-safe.
 *
 * <p>Values: {@code *}; an exact IPv4 or IPv6 address; CIDR for either ({@code 10.0.0.0/8}, {@code 2001:db8::/32});
 * or a Medplum-style prefix of whole IPv4 octets ({@code 10.1} or {@code 10.1.}), which matches {@code 10.1.x.x}
 * but, unlike Medplum's string prefix, not {@code 10.10.x.x}. Every address is compared in one canonical form
 * (IPv4 as IPv4-mapped IPv6), so {@code ::ffff:10.1.2.3} is judged by the IPv4 rules. The first matching rule
 * decides; when none matches the request passes.
 */
public final class IpRules {
    public static final IpRules NONE = new IpRules(List.of());

    public enum Action { ALLOW, BLOCK }

    /** A rule as stored; any part may be null. */
    public record Stored(String name, String value, String action) {}

    /** A parsed rule. */
    public record Rule(String name, Match match, Action action) {}

    /** What addresses a rule covers. */
    public sealed interface Match {
        /** {@code *}. */
        record Any() implements Match {}

        /** An address or network: the first {@code bits} bits of the canonical 16-byte form. */
        record Network(byte[] address, int bits) implements Match {
            @Override
            public boolean equals(Object o) {
                return o instanceof Network n && n.bits == bits && Arrays.equals(n.address, address);
            }

            @Override
            public int hashCode() { return 31 * Arrays.hashCode(address) + bits; }

            @Override
            public String toString() { return "Network[" + Arrays.toString(address) + "/" + bits + "]"; }
        }

        /**
         * Stands in for a stored rule that does not parse. It matches every address and blocks whatever its
         * action says: a rule we cannot read could have been meant to block this caller, and so the result is
         * never more open than the rule set intended.
         */
        record Unreadable(String reason) implements Match {}
    }

    /** The outcome of parsing one rule. */
    public sealed interface Parsed {
        record Valid(Rule rule) implements Parsed {}

        /** @param reason why, for the author of the policy */
        record Invalid(String reason) implements Parsed {}
    }

    /** The decision for one address. */
    public sealed interface Decision {
        /** No rule matched. */
        record NoMatch() implements Decision {}

        record Allowed(Rule rule) implements Decision {}

        /** @param reason for logs: the rule's name, or why the address or a rule could not be read */
        record Blocked(String reason) implements Decision {}
    }

    private static final Pattern IPV4 = Pattern.compile("(?:(?:0|[1-9]\\d{0,2})\\.){3}(?:0|[1-9]\\d{0,2})");
    private static final Pattern IPV4_PREFIX = Pattern.compile("(?:0|[1-9]\\d{0,2})(?:\\.(?:0|[1-9]\\d{0,2})){0,2}\\.?");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    private static final int MAX_VALUE_LENGTH = 100;

    private final List<Rule> rules;

    private IpRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static IpRules of(List<Rule> rules) {
        return rules.isEmpty() ? NONE : new IpRules(rules);
    }

    /** Rules read from storage: one that does not parse is kept in its place as an {@link Match.Unreadable} block. */
    public static IpRules ofStored(List<Stored> stored) {
        var rules = new ArrayList<Rule>(stored.size());
        for (var s : stored) {
            rules.add(switch (parse(s.name(), s.value(), s.action())) {
                case Parsed.Valid valid -> valid.rule();
                case Parsed.Invalid invalid -> new Rule(s.name(), new Match.Unreadable(invalid.reason()), Action.BLOCK);
            });
        }
        return of(rules);
    }

    public List<Rule> rules() { return rules; }

    public boolean isEmpty() { return rules.isEmpty(); }

    /** Parses one rule; {@code name} is free text and may be null. */
    public static Parsed parse(String name, String value, String action) {
        Action parsedAction;
        if ("allow".equals(action)) parsedAction = Action.ALLOW;
        else if ("block".equals(action)) parsedAction = Action.BLOCK;
        else return new Parsed.Invalid("action must be allow or block");
        if (value == null || value.isEmpty()) return new Parsed.Invalid("value is missing");
        if (value.length() > MAX_VALUE_LENGTH) return new Parsed.Invalid("value is too long");
        String v = value.strip();
        try {
            return new Parsed.Valid(new Rule(name, match(v), parsedAction));
        } catch (IllegalArgumentException e) {
            return new Parsed.Invalid("'" + printable(v) + "' is not *, an IP address, a CIDR network or an IPv4 prefix: "
                    + e.getMessage());
        }
    }

    /** The first matching rule decides; an address that does not parse is blocked when there are any rules. */
    public Decision decide(String clientIp) {
        if (rules.isEmpty()) return new Decision.NoMatch();
        byte[] address;
        try {
            address = clientAddress(clientIp);
        } catch (IllegalArgumentException e) {
            return new Decision.Blocked("client address unreadable");
        }
        for (var rule : rules) {
            boolean matches = switch (rule.match()) {
                case Match.Any any -> true;
                case Match.Network network -> inNetwork(address, network);
                case Match.Unreadable unreadable -> true;
            };
            if (!matches) continue;
            if (rule.match() instanceof Match.Unreadable u) return new Decision.Blocked("unreadable rule: " + u.reason());
            return switch (rule.action()) {
                case ALLOW -> new Decision.Allowed(rule);
                case BLOCK -> new Decision.Blocked("rule " + (rule.name() == null ? "(unnamed)" : rule.name()));
            };
        }
        return new Decision.NoMatch();
    }

    private static Match match(String v) {
        if (v.equals("*")) return new Match.Any();
        int slash = v.indexOf('/');
        if (slash >= 0) {
            String addressText = v.substring(0, slash);
            String bitsText = v.substring(slash + 1);
            if (!bitsText.matches("0|[1-9]\\d{0,2}")) throw new IllegalArgumentException("bad prefix length");
            int bits = Integer.parseInt(bitsText);
            boolean v4Literal = !addressText.contains(":");
            byte[] address = literal(addressText);
            int max = v4Literal ? 32 : 128;
            if (bits > max) throw new IllegalArgumentException("prefix length above " + max);
            int canonicalBits = v4Literal ? bits + 96 : bits;
            if (!v4Literal && isMapped(address) && canonicalBits < 96) {
                // ::ffff:0:0/80 would reach beyond the IPv4-mapped range into arbitrary IPv6 space: almost surely a mistake
                throw new IllegalArgumentException("an IPv4-mapped network needs a prefix length of at least 96");
            }
            return new Match.Network(masked(address, canonicalBits), canonicalBits);
        }
        if (v.contains(":") || IPV4.matcher(v).matches()) return new Match.Network(literal(v), 128);
        if (IPV4_PREFIX.matcher(v).matches()) {
            String[] octets = v.split("\\.");
            byte[] address = new byte[16];
            address[10] = (byte) 0xff;
            address[11] = (byte) 0xff;
            for (int i = 0; i < octets.length; i++) address[12 + i] = octet(octets[i]);
            return new Match.Network(address, 96 + 8 * octets.length);
        }
        throw new IllegalArgumentException("unrecognised form");
    }

    /** An address literal, strictly: dotted-quad decimal IPv4 or IPv6 text; no DNS, no legacy or zone forms. */
    private static byte[] literal(String text) {
        if (text.contains(":")) {
            if (!IPV6.matcher(text).matches()) throw new IllegalArgumentException("bad IPv6 address");
            if (text.contains(".") && !IPV4.matcher(text.substring(text.lastIndexOf(':') + 1)).matches()) {
                throw new IllegalArgumentException("bad IPv4 part");
            }
        } else {
            if (!IPV4.matcher(text).matches()) throw new IllegalArgumentException("bad IPv4 address");
            for (String octet : text.split("\\.")) octet(octet);
        }
        return canonical(InetAddress.ofLiteral(text));
    }

    private static byte octet(String text) {
        int n = Integer.parseInt(text);
        if (n > 255) throw new IllegalArgumentException("octet above 255");
        return (byte) n;
    }

    /** The client's address from the HTTP layer: like a rule literal, but brackets and an IPv6 zone are dropped. */
    private static byte[] clientAddress(String text) {
        if (text == null) throw new IllegalArgumentException("no address");
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) t = t.substring(1, t.length() - 1);
        int zone = t.indexOf('%');
        if (zone >= 0 && t.contains(":")) t = t.substring(0, zone);
        return literal(t.toLowerCase(Locale.ROOT));
    }

    /** Every address as 16 bytes; IPv4 as {@code ::ffff:a.b.c.d} (ofLiteral already returns mapped IPv6 as IPv4). */
    private static byte[] canonical(InetAddress address) {
        byte[] raw = address.getAddress();
        if (address instanceof Inet4Address) {
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(raw, 0, mapped, 12, 4);
            return mapped;
        }
        return raw;
    }

    private static boolean isMapped(byte[] address) {
        for (int i = 0; i < 10; i++) if (address[i] != 0) return false;
        return address[10] == (byte) 0xff && address[11] == (byte) 0xff;
    }

    private static byte[] masked(byte[] address, int bits) {
        byte[] out = address.clone();
        for (int i = 0; i < 16; i++) {
            int keep = Math.max(0, Math.min(8, bits - 8 * i));
            out[i] = (byte) (out[i] & (0xff << (8 - keep)));
        }
        return out;
    }

    private static boolean inNetwork(byte[] address, Match.Network network) {
        return Arrays.equals(masked(address, network.bits()), network.address());
    }

    private static String printable(String s) {
        String clean = s.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() > 60 ? clean.substring(0, 60) + "..." : clean;
    }
}
