package io.sqsbrowser.crypto;

/**
 * Wire facts of the two message envelopes, shared by the encrypting job and the decrypting client.
 *
 * <p>CTR (seed-compatible): {@code <counter>|<base64 ciphertext>}; the decimal counter is the initial
 * 128-bit big-endian counter block, below 2^53 so browser clients can read it as a number, from a sequence that never
 * gives two messages of one key a common block ({@link CtrCounters}).
 *
 * <p>GCM: {@code g1|<base64 of nonce ‖ ciphertext ‖ tag>}, a 12-byte random nonce and a 16-byte tag, no
 * associated data. The {@code g1|} prefix versions the format and cannot start a CTR body (digits).
 */
public final class Envelopes {
    public static final String GCM_PREFIX = "g1|";
    public static final int GCM_NONCE_BYTES = 12;
    public static final int GCM_TAG_BITS = 128;
    public static final long CTR_COUNTER_BOUND = 1L << 53;
    public static final int AES_KEY_BYTES = 32;
    /**
     * What SQS counts of the attribute that carries a message's place in its session ({@code seq}, {@code String},
     * {@code <8 hex digits>:<n>[~<k>]}) beside the body, at most: name, type and value.
     */
    public static final int SEQUENCE_ATTRIBUTE_BYTES = 64;
    /** The name of the SQS message attribute that carries a message's place in its session's sequence. */
    public static final String SEQUENCE_ATTRIBUTE = "seq";

    private Envelopes() {}

    /** The largest body either envelope makes for a plaintext of {@code plaintextBytes} (without the sequence attribute). */
    public static int maxBodyLength(int plaintextBytes) {
        int gcm = GCM_PREFIX.length() + base64Length(GCM_NONCE_BYTES + plaintextBytes + GCM_TAG_BITS / 8);
        int ctr = String.valueOf(CTR_COUNTER_BOUND - 1).length() + 1 + base64Length(plaintextBytes);
        return Math.max(gcm, ctr);
    }

    static int base64Length(int bytes) {
        return 4 * ((bytes + 2) / 3);
    }

    /** The 16-byte big-endian counter block for a CTR counter value. */
    public static byte[] counterBlock(long counter) {
        byte[] iv = new byte[16];
        for (int i = 15; i >= 8; i--) {
            iv[i] = (byte) counter;
            counter >>>= 8;
        }
        return iv;
    }
}
