package io.sqsbrowser.client;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.Envelopes;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a client does with a message body from its queue: decrypts it with the session's key and the session's own
 * cipher, never one picked from the body. GCM encrypts with the CTR keystream of the counter blocks nonce ‖ 2, 3, …,
 * so a GCM body re-sent as a CTR body with the counter nonce ‖ 2 would decrypt under the same key with no tag to
 * check; a body in the other envelope, or a CTR counter of 2^53 or more (the job never sends one), is
 * {@link TamperedMessageException tampering}.
 */
public final class MessageDecryptor {
    private static final BigInteger COUNTER_BOUND = BigInteger.valueOf(Envelopes.CTR_COUNTER_BOUND);
    private final SecretKeySpec key;
    private final CipherFormat cipher;

    public MessageDecryptor(String base64Key, CipherFormat cipher) {
        byte[] raw = Base64.getDecoder().decode(base64Key);
        if (raw.length != Envelopes.AES_KEY_BYTES) {
            throw new IllegalArgumentException("AES key must be 32 bytes, got " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
        this.cipher = cipher;
    }

    /** A body the job did not send the session: in the other cipher's envelope, or with a counter out of range. */
    public static final class TamperedMessageException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        TamperedMessageException(String message) {
            super(message);
        }
    }

    public String decrypt(String body) {
        boolean gcmBody = body.startsWith(Envelopes.GCM_PREFIX);
        if (gcmBody != (cipher == CipherFormat.GCM)) {
            throw new TamperedMessageException("a " + (gcmBody ? "GCM" : "non-GCM") + " body on a " + cipher + " session: not sent by the job");
        }
        try {
            return new String(gcmBody ? gcm(body) : ctr(body), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("message does not decrypt with this key: " + e.getClass().getSimpleName());
        }
    }

    private byte[] ctr(String body) throws GeneralSecurityException {
        int bar = body.indexOf('|');
        if (bar <= 0 || !body.substring(0, bar).chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("not a CTR envelope (no '<counter>|')");
        }
        BigInteger value = new BigInteger(body.substring(0, bar));
        if (value.compareTo(COUNTER_BOUND) >= 0) {
            throw new TamperedMessageException("a CTR counter of 2^53 or more: not sent by the job");
        }
        Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
        ctr.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(Envelopes.counterBlock(value.longValueExact())));
        return ctr.doFinal(Base64.getDecoder().decode(body.substring(bar + 1)));
    }

    private byte[] gcm(String body) throws GeneralSecurityException {
        byte[] raw = Base64.getDecoder().decode(body.substring(Envelopes.GCM_PREFIX.length()));
        Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
        gcm.init(Cipher.DECRYPT_MODE, key,
                new GCMParameterSpec(Envelopes.GCM_TAG_BITS, Arrays.copyOf(raw, Envelopes.GCM_NONCE_BYTES)));
        return gcm.doFinal(raw, Envelopes.GCM_NONCE_BYTES, raw.length - Envelopes.GCM_NONCE_BYTES);
    }
}
