package io.sqsbrowser.event;

import java.text.Normalizer;
import java.util.Collection;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the top-level keys that pass for a routing field without being one. Two rules, for the two ways an event's
 * audience is decided ({@link EventParser}):
 * <ul>
 *   <li>{@link #spelledOtherwise}, always: the key equals a routing field once case, {@code _} and {@code -} are
 *       ignored ({@code userid}, {@code user_id}, {@code Account_Id}).
 *   <li>{@link #misread}, where a missing routing field means everyone (the original system's rule): any key a person
 *       would read as one. What a reader sees (its skeleton): compatibility forms unified, accents, invisible
 *       characters of every kind (format, combining and variation marks, fillers, blanks) and punctuation dropped,
 *       letters that look Latin (other scripts, small capitals, digits: {@code us3r1d}) read as Latin. Then equal to a
 *       routing field, or one misreading away: a letter that looks like the right one ({@code l} for {@code I}), a letter
 *       typed twice ({@code userIdd}) or once where it is doubled ({@code acountId}), two letters swapped. A different
 *       letter that looks different ({@code userIp}, {@code toxic}), a letter added or missing ({@code userIds},
 *       {@code topi}) make another word: an ordinary field.
 * </ul>
 */
final class RoutingFieldLookalikes {
    /** Letters of other scripts, small capitals and digits that look like Latin letters, and the letter they pass for. */
    private static final Map<Integer, Character> LOOKALIKES = Map.ofEntries(
            // Cyrillic
            Map.entry((int) 'а', 'a'), Map.entry((int) 'в', 'b'), Map.entry((int) 'е', 'e'), Map.entry((int) 'ё', 'e'),
            Map.entry((int) 'к', 'k'), Map.entry((int) 'м', 'm'), Map.entry((int) 'н', 'h'), Map.entry((int) 'о', 'o'),
            Map.entry((int) 'р', 'p'), Map.entry((int) 'с', 'c'), Map.entry((int) 'т', 't'), Map.entry((int) 'у', 'y'),
            Map.entry((int) 'х', 'x'), Map.entry((int) 'і', 'i'), Map.entry((int) 'ї', 'i'), Map.entry((int) 'ј', 'j'),
            Map.entry((int) 'ѕ', 's'), Map.entry((int) 'ԁ', 'd'), Map.entry((int) 'ԛ', 'q'), Map.entry((int) 'ԝ', 'w'),
            Map.entry((int) 'һ', 'h'), Map.entry((int) 'ӏ', 'l'), Map.entry((int) 'ɡ', 'g'),
            // Greek
            Map.entry((int) 'α', 'a'), Map.entry((int) 'β', 'b'), Map.entry((int) 'ε', 'e'), Map.entry((int) 'η', 'n'),
            Map.entry((int) 'ι', 'i'), Map.entry((int) 'κ', 'k'), Map.entry((int) 'ν', 'v'), Map.entry((int) 'ο', 'o'),
            Map.entry((int) 'ρ', 'p'), Map.entry((int) 'τ', 't'), Map.entry((int) 'υ', 'u'), Map.entry((int) 'χ', 'x'),
            Map.entry((int) 'ζ', 'z'),
            // Latin small capitals and letters that pass for others
            Map.entry(0x1D00, 'a'), Map.entry(0x0299, 'b'), Map.entry(0x1D04, 'c'), Map.entry(0x1D05, 'd'),
            Map.entry(0x1D07, 'e'), Map.entry(0xA730, 'f'), Map.entry(0x0262, 'g'), Map.entry(0x029C, 'h'),
            Map.entry(0x026A, 'i'), Map.entry(0x1D0A, 'j'), Map.entry(0x1D0B, 'k'), Map.entry(0x029F, 'l'),
            Map.entry(0x1D0D, 'm'), Map.entry(0x0274, 'n'), Map.entry(0x1D0F, 'o'), Map.entry(0x1D18, 'p'),
            Map.entry(0x0280, 'r'), Map.entry(0xA731, 's'), Map.entry(0x1D1B, 't'), Map.entry(0x1D1C, 'u'),
            Map.entry(0x1D20, 'v'), Map.entry(0x1D21, 'w'), Map.entry(0x028F, 'y'), Map.entry(0x1D22, 'z'),
            Map.entry((int) 'ı', 'i'), Map.entry((int) 'ȷ', 'j'), Map.entry((int) 'ſ', 's'),
            // Digits read as letters
            Map.entry((int) '0', 'o'), Map.entry((int) '1', 'i'), Map.entry((int) '3', 'e'), Map.entry((int) '4', 'a'),
            Map.entry((int) '5', 's'), Map.entry((int) '7', 't'), Map.entry((int) '8', 'b'));
    /** Characters that show nothing, beyond the Unicode categories of marks and formats: fillers and blanks. */
    private static final Set<Integer> BLANKS = Set.of(0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E, 0x17B4, 0x17B5);
    /** Letters a reader takes for one another: {@code l}, {@code i} (and {@code 1}, read as {@code i}). */
    private static final Set<String> CONFUSED = Set.of("il", "li");

    private RoutingFieldLookalikes() {}

    /** The routing field {@code key} equals once case, {@code _} and {@code -} are ignored, without being it; or null. */
    static String spelledOtherwise(String key, Collection<String> routingFields) {
        if (routingFields.contains(key)) {
            return null;
        }
        String folded = key.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
        return routingFields.stream().filter(f -> f.toLowerCase(Locale.ROOT).equals(folded)).findFirst().orElse(null);
    }

    /** The routing field a person would read {@code key} as, without it being one; or null for an ordinary field. */
    static String misread(String key, Collection<String> routingFields) {
        if (routingFields.contains(key)) {
            return null;
        }
        String skeleton = skeleton(key);
        for (String field : routingFields) {
            String target = field.toLowerCase(Locale.ROOT);
            if (skeleton.equals(target) || oneMisreadingAway(skeleton, target)) {
                return field;
            }
        }
        return null;
    }

    /** What a reader sees of a key: see the class comment. */
    static String skeleton(String key) {
        String unified = Normalizer.normalize(Normalizer.normalize(key, Normalizer.Form.NFKC), Normalizer.Form.NFD)
                .toLowerCase(Locale.ROOT);
        StringBuilder out = new StringBuilder(unified.length());
        unified.codePoints().forEach(c -> {
            Character latin = LOOKALIKES.get(c);
            if (latin != null) {
                out.append(latin);
            } else if (Character.isLetterOrDigit(c) && !BLANKS.contains(c)) {
                out.appendCodePoint(c);
            }
            // Everything else shows no letter: whitespace, punctuation, marks, formats, fillers.
        });
        return out.toString();
    }

    private static boolean oneMisreadingAway(String s, String target) {
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
                return CONFUSED.contains("" + s.charAt(first) + target.charAt(first));
            }
            return differences == 2 && first + 1 < s.length() && s.charAt(first) == target.charAt(first + 1)
                    && s.charAt(first + 1) == target.charAt(first);
        }
        if (s.length() == target.length() + 1) {
            return stutters(s, target);
        }
        return s.length() + 1 == target.length() && stutters(target, s);
    }

    /** Whether {@code longer} is {@code shorter} with one of its letters typed twice. */
    private static boolean stutters(String longer, String shorter) {
        for (int i = 1; i < longer.length(); i++) {
            if (longer.charAt(i) == longer.charAt(i - 1) && (longer.substring(0, i) + longer.substring(i + 1)).equals(shorter)) {
                return true;
            }
        }
        return false;
    }
}
