package io.sqsbrowser.client;

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

/** What a client does with a message body from its queue: decrypts either envelope with the session key. */
public final class MessageDecryptor {
    private final SecretKeySpec key;

    public MessageDecryptor(String base64Key) {
        byte[] raw = Base64.getDecoder().decode(base64Key);
        if (raw.length != Envelopes.AES_KEY_BYTES) {
            throw new IllegalArgumentException("AES key must be 32 bytes, got " + raw.length);
        }
        this.key = new SecretKeySpec(raw, "AES");
    }

    public String decrypt(String body) {
        try {
            return new String(body.startsWith(Envelopes.GCM_PREFIX) ? gcm(body) : ctr(body), StandardCharsets.UTF_8);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("message does not decrypt with this key: " + e.getClass().getSimpleName());
        }
    }

    private byte[] ctr(String body) throws GeneralSecurityException {
        int bar = body.indexOf('|');
        if (bar <= 0) {
            throw new IllegalArgumentException("not a CTR envelope (no '<counter>|')");
        }
        byte[] counter = new BigInteger(body.substring(0, bar)).toByteArray();
        byte[] iv = new byte[16];
        int n = Math.min(counter.length, 16);
        System.arraycopy(counter, counter.length - n, iv, 16 - n, n);
        Cipher cipher = Cipher.getInstance("AES/CTR/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key, new IvParameterSpec(iv));
        return cipher.doFinal(Base64.getDecoder().decode(body.substring(bar + 1)));
    }

    private byte[] gcm(String body) throws GeneralSecurityException {
        byte[] raw = Base64.getDecoder().decode(body.substring(Envelopes.GCM_PREFIX.length()));
        Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
        cipher.init(Cipher.DECRYPT_MODE, key,
                new GCMParameterSpec(Envelopes.GCM_TAG_BITS, Arrays.copyOf(raw, Envelopes.GCM_NONCE_BYTES)));
        return cipher.doFinal(raw, Envelopes.GCM_NONCE_BYTES, raw.length - Envelopes.GCM_NONCE_BYTES);
    }
}
