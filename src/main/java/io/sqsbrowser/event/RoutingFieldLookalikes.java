package io.sqsbrowser.event;

import java.text.Normalizer;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the top-level keys a person would read as a routing field that are not one: spelt with other case, with
 * whitespace, {@code _}, {@code -} or invisible (Unicode format) characters, with letters of other scripts that look
 * Latin ({@code usеrId} with a Cyrillic е), or with one wrong, missing or swapped letter ({@code userld},
 * {@code acountId}, {@code usreId}). Left as an ordinary field, such a key would make a targeted event a broadcast.
 * A longer word that merely contains a routing field ({@code userIds}) is an ordinary field: one extra letter is not
 * a misspelling here.
 */
final class RoutingFieldLookalikes {
    /** Letters of other scripts that look like Latin ones (after NFKC and lower case), and the Latin they pass for. */
    private static final Map<Character, Character> LOOKALIKES = Map.ofEntries(
            // Cyrillic
            Map.entry('а', 'a'), Map.entry('в', 'b'), Map.entry('е', 'e'), Map.entry('ё', 'e'), Map.entry('к', 'k'),
            Map.entry('м', 'm'), Map.entry('н', 'h'), Map.entry('о', 'o'), Map.entry('р', 'p'), Map.entry('с', 'c'),
            Map.entry('т', 't'), Map.entry('у', 'y'), Map.entry('х', 'x'), Map.entry('і', 'i'), Map.entry('ї', 'i'),
            Map.entry('ј', 'j'), Map.entry('ѕ', 's'), Map.entry('ԁ', 'd'), Map.entry('ԛ', 'q'), Map.entry('ԝ', 'w'),
            Map.entry('һ', 'h'), Map.entry('ӏ', 'l'), Map.entry('ɡ', 'g'),
            // Greek
            Map.entry('α', 'a'), Map.entry('β', 'b'), Map.entry('ε', 'e'), Map.entry('η', 'n'), Map.entry('ι', 'i'),
            Map.entry('κ', 'k'), Map.entry('ν', 'v'), Map.entry('ο', 'o'), Map.entry('ρ', 'p'), Map.entry('τ', 't'),
            Map.entry('υ', 'u'), Map.entry('χ', 'x'), Map.entry('ζ', 'z'),
            // Latin letters that pass for others
            Map.entry('ı', 'i'), Map.entry('ȷ', 'j'), Map.entry('ſ', 's'));

    private RoutingFieldLookalikes() {}

    /** The routing field {@code key} passes for without being it; null when it is one, or an ordinary field. */
    static String imitated(String key, Collection<String> routingFields) {
        if (routingFields.contains(key)) {
            return null;
        }
        String skeleton = skeleton(key);
        for (String field : routingFields) {
            String target = field.toLowerCase(Locale.ROOT);
            if (skeleton.equals(target) || oneLetterOff(skeleton, target)) {
                return field;
            }
        }
        return null;
    }

    /**
     * What a reader sees: compatibility forms unified (fullwidth letters, ligatures), whitespace, {@code _}, {@code -}
     * and format characters (zero-width spaces and joiners, soft hyphens, direction marks) removed, case folded, and
     * look-alike letters of other scripts read as the Latin ones.
     */
    static String skeleton(String key) {
        String unified = Normalizer.normalize(key, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(unified.length());
        unified.codePoints().forEach(c -> {
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '_' || c == '-'
                    || Character.getType(c) == Character.FORMAT) {
                return;
            }
            Character latin = c <= Character.MAX_VALUE ? LOOKALIKES.get((char) c) : null;
            out.appendCodePoint(latin != null ? latin : c);
        });
        return out.toString();
    }

    /** One letter wrong, missing or swapped with its neighbour: a substitution, a deletion or a transposition. */
    private static boolean oneLetterOff(String s, String target) {
        if (s.length() == target.length()) {
            int first = -1;
            int differences = 0;
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) != target.charAt(i)) {
                    differences++;
                    first = first < 0 ? i : first;
                }
            }
            if (differences == 1) {
                return true;
            }
            return differences == 2 && first + 1 < s.length() && s.charAt(first) == target.charAt(first + 1)
                    && s.charAt(first + 1) == target.charAt(first);
        }
        if (s.length() + 1 == target.length()) {
            for (int i = 0; i < target.length(); i++) {
                if ((target.substring(0, i) + target.substring(i + 1)).equals(s)) {
                    return true;
                }
            }
        }
        return false;
    }
}
