package dev.fhirhook.bot.runtime;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The byte/string conversions behind the bots' {@code Buffer}, with Node's semantics: decoding is lenient
 * (Node never throws on bad base64 or hex, it stops or skips), encoding of lone surrogates gives U+FFFD.
 * Done in Java because the interpreter would loop over every byte. Pure; thread-safe.
 */
final class Codecs {
    private static final String BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    private static final String BASE64_URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    private static final int[] BASE64_VALUES = new int[128];

    static {
        java.util.Arrays.fill(BASE64_VALUES, -1);
        for (int i = 0; i < 64; i++) {
            BASE64_VALUES[BASE64.charAt(i)] = i;
            BASE64_VALUES[BASE64_URL.charAt(i)] = i;
        }
    }

    private Codecs() {}

    /** Node's encoding name in canonical form, or null when Buffer does not know it. */
    static String canonical(String encoding) {
        if (encoding == null) return "utf8";
        return switch (encoding.toLowerCase(Locale.ROOT)) {
            case "utf8", "utf-8" -> "utf8";
            case "hex" -> "hex";
            case "base64" -> "base64";
            case "base64url" -> "base64url";
            case "latin1", "binary" -> "latin1";
            case "ascii" -> "ascii";
            case "utf16le", "utf-16le", "ucs2", "ucs-2" -> "utf16le";
            default -> null;
        };
    }

    static byte[] decode(String text, String encoding) {
        return switch (canonical(encoding)) {
            case "utf8" -> utf8(text);
            case "hex" -> hex(text);
            case "base64", "base64url" -> base64(text);
            case "latin1", "ascii" -> latin1(text);
            case "utf16le" -> text.getBytes(StandardCharsets.UTF_16LE);
            case null -> throw new IllegalArgumentException("Unknown encoding: " + encoding);
            default -> throw new IllegalStateException();
        };
    }

    static String encode(byte[] bytes, String encoding) {
        return switch (canonical(encoding)) {
            case "utf8" -> new String(bytes, StandardCharsets.UTF_8);
            case "hex" -> HexFormat.of().formatHex(bytes);
            case "base64" -> java.util.Base64.getEncoder().encodeToString(bytes);
            case "base64url" -> java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
            case "latin1" -> new String(bytes, StandardCharsets.ISO_8859_1);
            case "ascii" -> ascii(bytes);
            case "utf16le" -> new String(bytes, 0, bytes.length & ~1, StandardCharsets.UTF_16LE);
            case null -> throw new IllegalArgumentException("Unknown encoding: " + encoding);
            default -> throw new IllegalStateException();
        };
    }

    /** UTF-8 as Node writes it: a lone surrogate becomes U+FFFD (Java's encoder would write '?'). */
    static byte[] utf8(String text) {
        var out = new java.io.ByteArrayOutputStream(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int cp;
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                cp = Character.toCodePoint(c, text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                cp = 0xFFFD;
            } else {
                cp = c;
            }
            if (cp < 0x80) {
                out.write(cp);
            } else if (cp < 0x800) {
                out.write(0xC0 | (cp >> 6));
                out.write(0x80 | (cp & 0x3F));
            } else if (cp < 0x10000) {
                out.write(0xE0 | (cp >> 12));
                out.write(0x80 | ((cp >> 6) & 0x3F));
                out.write(0x80 | (cp & 0x3F));
            } else {
                out.write(0xF0 | (cp >> 18));
                out.write(0x80 | ((cp >> 12) & 0x3F));
                out.write(0x80 | ((cp >> 6) & 0x3F));
                out.write(0x80 | (cp & 0x3F));
            }
        }
        return out.toByteArray();
    }

    /** Node reads hex pairs until the first pair that is not hex; an odd last digit is dropped. */
    static byte[] hex(String text) {
        int pairs = text.length() / 2;
        var out = new byte[pairs];
        for (int i = 0; i < pairs; i++) {
            int hi = Character.digit(text.charAt(2 * i), 16);
            int lo = Character.digit(text.charAt(2 * i + 1), 16);
            if (hi < 0 || lo < 0) return java.util.Arrays.copyOf(out, i);
            out[i] = (byte) ((hi << 4) | lo);
        }
        return out;
    }

    /** Both alphabets, padding optional, whitespace and other characters skipped, stop at '=' (as Node). */
    static byte[] base64(String text) {
        var out = new byte[text.length() * 3 / 4 + 3];
        int n = 0;
        int acc = 0;
        int bits = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '=') break;
            int v = c < 128 ? BASE64_VALUES[c] : -1;
            if (v < 0) continue;
            acc = (acc << 6) | v;
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                out[n++] = (byte) (acc >> bits);
                acc &= (1 << bits) - 1;
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    static byte[] latin1(String text) {
        var out = new byte[text.length()];
        for (int i = 0; i < out.length; i++) out[i] = (byte) text.charAt(i);
        return out;
    }

    private static String ascii(byte[] bytes) {
        var chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) chars[i] = (char) (bytes[i] & 0x7F);
        return new String(chars);
    }
}
