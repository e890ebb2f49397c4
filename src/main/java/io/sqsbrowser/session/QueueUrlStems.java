package io.sqsbrowser.session;

import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Session queue URLs share their beginning: {@code https://sqs.<region>.amazonaws.com/<account>/<prefix>-}
 * (the "stem"), followed by 43 characters of base64url, 32 random bytes. Session state stores a 4-byte id of the
 * stem and the 32 bytes instead of the ~110-character URL. The stems (a handful) are kept in operator state,
 * so any subtask can read any user's sessions after a restore or a rescale; the id is the stem's CRC-32, the
 * same wherever it is computed. A URL of another shape, or whose stem collides, is stored whole.
 */
public final class QueueUrlStems {
    static final int RANDOM_CHARS = 43;
    static final int RANDOM_BYTES = 32;
    private final Map<Integer, String> byId = new HashMap<>();

    /** Adds stems read back from state. */
    public void addAll(Collection<String> stems) {
        stems.forEach(this::add);
    }

    /** Every stem known, for the checkpoint. */
    public List<String> stems() {
        return List.copyOf(byId.values());
    }

    /** The stem id and random bytes of {@code url}, or null when it must be stored whole. */
    Compact compact(String url) {
        int stemEnd = url.length() - RANDOM_CHARS;
        if (stemEnd < 1 || url.charAt(stemEnd - 1) != '-') {
            return null;
        }
        byte[] random;
        try {
            random = Base64.getUrlDecoder().decode(url.substring(stemEnd));
        } catch (IllegalArgumentException notBase64Url) {
            return null;
        }
        if (random.length != RANDOM_BYTES || !encode(random).equals(url.substring(stemEnd))) {
            return null;
        }
        String stem = url.substring(0, stemEnd);
        Integer id = add(stem);
        return id == null ? null : new Compact(id, random);
    }

    /** The URL of a stem id and random bytes; the stem must be known. */
    String url(int stemId, byte[] random) {
        String stem = byId.get(stemId);
        if (stem == null) {
            throw new IllegalStateException("session state names an unknown queue URL stem " + stemId);
        }
        return stem + encode(random);
    }

    /** The id of {@code stem}, added if new; null if another stem has its id. */
    private Integer add(String stem) {
        int id = id(stem);
        String known = byId.putIfAbsent(id, stem);
        return known == null || known.equals(stem) ? id : null;
    }

    private static int id(String stem) {
        CRC32 crc = new CRC32();
        crc.update(stem.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    private static String encode(byte[] random) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(random);
    }

    /** A queue URL as its stem's id and its random bytes. */
    static final class Compact {
        final int stemId;
        final byte[] random;

        Compact(int stemId, byte[] random) {
            this.stemId = stemId;
            this.random = random;
        }
    }
}
