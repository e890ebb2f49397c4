package io.sqsbrowser.crypto;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts one plaintext for one session. Not thread-safe: each operator instance owns one, so the
 * {@link Cipher} objects, the random source (GCM nonces) and the CTR counter sequence ({@link CtrCounters}) are made
 * once, not per message.
 */
public final class MessageEncryptor {
    private final SecureRandom random = new SecureRandom();
    private final Cipher ctr;
    private final Cipher gcm;
    private final byte[] nonce = new byte[Envelopes.GCM_NONCE_BYTES];
    private final CtrCounters counters;

    public MessageEncryptor() {
        this(new CtrCounters());
    }

    /** With the CTR counters of a task attempt (its lane, and where a restored snapshot's sequence had reached). */
    public MessageEncryptor(CtrCounters counters) {
        this.counters = counters;
        try {
            ctr = Cipher.getInstance("AES/CTR/NoPadding");
            gcm = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR and AES/GCM must be available in every JRE", e);
        }
    }

    /** Where the CTR sequence has reached, for a snapshot ({@link CtrCounters#reachedMillis}). */
    public long ctrReachedMillis() {
        return counters.reachedMillis();
    }

    /** The message body for the session's queue; {@code key} is the session's decoded 32-byte AES key. */
    public String encrypt(CipherFormat format, byte[] key, byte[] plaintext) {
        try {
            return format == CipherFormat.GCM ? gcm(key, plaintext) : ctr(key, plaintext);
        } catch (GeneralSecurityException e) {
            // The message names neither key nor plaintext.
            throw new IllegalStateException("encryption failed: " + e.getClass().getSimpleName());
        }
    }

    private String ctr(byte[] key, byte[] plaintext) throws GeneralSecurityException {
        long counter = counters.next(plaintext.length);
        ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(Envelopes.counterBlock(counter)));
        String body = Base64.getEncoder().encodeToString(ctr.doFinal(plaintext));
        return counter + "|" + body;
    }

    private String gcm(byte[] key, byte[] plaintext) throws GeneralSecurityException {
        random.nextBytes(nonce);
        gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(Envelopes.GCM_TAG_BITS, nonce));
        byte[] out = new byte[Envelopes.GCM_NONCE_BYTES + gcm.getOutputSize(plaintext.length)];
        System.arraycopy(nonce, 0, out, 0, nonce.length);
        gcm.doFinal(plaintext, 0, plaintext.length, out, nonce.length);
        return Envelopes.GCM_PREFIX + Base64.getEncoder().encodeToString(out);
    }
}
