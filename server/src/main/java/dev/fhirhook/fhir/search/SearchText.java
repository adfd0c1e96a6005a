package dev.fhirhook.fhir.search;

import java.text.Normalizer;
import java.util.Locale;
import java.util.regex.Pattern;

/** How strings are stored and compared in the index: bounded length, and for matching, case and accents folded. */
final class SearchText {
    /** Longest indexed value, in characters; longer values are indexed (and searched) by this prefix. */
    static final int MAX = 256;
    private static final Pattern MARKS = Pattern.compile("\\p{M}+");

    private SearchText() {}

    static String normalize(String s) {
        return bound(MARKS.matcher(Normalizer.normalize(s, Normalizer.Form.NFD)).replaceAll("").toLowerCase(Locale.ROOT));
    }

    static String bound(String s) {
        if (s == null || s.length() <= MAX) return s;
        int end = MAX;
        if (Character.isHighSurrogate(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    /** Escapes LIKE wildcards so user text is matched literally. */
    static String likeLiteral(String s) {
        return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
    }
}
