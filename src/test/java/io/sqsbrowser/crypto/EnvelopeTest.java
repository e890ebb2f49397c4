package io.sqsbrowser.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sqsbrowser.client.MessageDecryptor;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class EnvelopeTest {
    /** The known answer of SPEC §4, as pyaes and aes-js compute it. */
    private static final String KAT_KEY = "LkWUsGQKi8E9QoMJEeY1HLL8rdJNJr3fzDp+F9CpkCY=";
    private static final long KAT_COUNTER = 9734675727L;
    private static final String KAT_CIPHERTEXT = "nw7xCnVR0m/YrGgG";

    private final byte[] key = randomKey();
    private final MessageEncryptor encryptor = new MessageEncryptor();

    @Test
    void clientDecryptsTheKnownAnswerOfTheOriginalSystem() {
        assertThat(new MessageDecryptor(KAT_KEY, CipherFormat.CTR).decrypt(KAT_COUNTER + "|" + KAT_CIPHERTEXT)).isEqualTo("this is test");
    }

    @Test
    void counterBlockIsTheBigEndianCounterAsPyaesComputesIt() throws Exception {
        Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
        ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(Base64.getDecoder().decode(KAT_KEY), "AES"),
                new IvParameterSpec(Envelopes.counterBlock(KAT_COUNTER)));
        assertThat(Base64.getEncoder().encodeToString(ctr.doFinal("this is test".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(KAT_CIPHERTEXT);
    }

    @Test
    void ctrEnvelopeHasAJavascriptSafeCounterAndRoundTrips() {
        for (int i = 0; i < 200; i++) {
            String body = encryptor.encrypt(CipherFormat.CTR, key, utf8("{\"message\":\"héllo " + i + "\"}"));
            long counter = Long.parseLong(body.substring(0, body.indexOf('|')));
            assertThat(counter).isNotNegative().isLessThan(1L << 53);
            assertThat(decryptor(CipherFormat.CTR).decrypt(body)).isEqualTo("{\"message\":\"héllo " + i + "\"}");
        }
    }

    @Test
    void gcmEnvelopeIsVersionedRoundTripsAndUsesAFreshNonce() {
        String first = encryptor.encrypt(CipherFormat.GCM, key, utf8("{\"a\":1}"));
        String second = encryptor.encrypt(CipherFormat.GCM, key, utf8("{\"a\":1}"));
        assertThat(first).startsWith("g1|").isNotEqualTo(second);
        assertThat(Base64.getDecoder().decode(first.substring(3))).hasSize(12 + 7 + 16);
        assertThat(decryptor(CipherFormat.GCM).decrypt(first)).isEqualTo("{\"a\":1}");
        assertThat(decryptor(CipherFormat.GCM).decrypt(second)).isEqualTo("{\"a\":1}");
    }

    @Test
    void gcmRejectsATamperedMessageAndAWrongKey() {
        String body = encryptor.encrypt(CipherFormat.GCM, key, utf8("{\"a\":1}"));
        byte[] raw = Base64.getDecoder().decode(body.substring(3));
        raw[14] ^= 1;
        String tampered = "g1|" + Base64.getEncoder().encodeToString(raw);
        assertThatThrownBy(() -> decryptor(CipherFormat.GCM).decrypt(tampered)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MessageDecryptor(Base64.getEncoder().encodeToString(randomKey()), CipherFormat.GCM).decrypt(body))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * The downgrade attack: GCM encrypts with the CTR keystream of the counter blocks nonce ‖ 2, 3, …, so a captured GCM
     * body, re-sent as the CTR envelope with the counter nonce ‖ 2 and its known bytes flipped, decrypts under the
     * session's key with no tag to check. A client that decrypts with the session's own cipher refuses it.
     */
    @Test
    void aGcmBodyResentAsCtrIsRefusedAsTampering() throws Exception {
        String body = encryptor.encrypt(CipherFormat.GCM, key, utf8("{\"messageId\":\"pay\",\"amount\":\"100\"}"));
        byte[] raw = Base64.getDecoder().decode(body.substring(3));
        byte[] ciphertext = java.util.Arrays.copyOfRange(raw, 12, raw.length - 16);
        int at = "{\"messageId\":\"pay\",\"amount\":\"".length();
        for (int i = 0; i < 3; i++) {
            ciphertext[at + i] ^= (byte) ("100".charAt(i) ^ "999".charAt(i));
        }
        java.math.BigInteger counter = new java.math.BigInteger(1, java.util.Arrays.copyOf(raw, 12)).shiftLeft(32).or(java.math.BigInteger.TWO);
        String forged = counter + "|" + Base64.getEncoder().encodeToString(ciphertext);
        // What a client that picks the cipher from the body would show.
        byte[] block = counter.toByteArray();
        byte[] iv = new byte[16];
        System.arraycopy(block, Math.max(0, block.length - 16), iv, Math.max(0, 16 - block.length), Math.min(16, block.length));
        Cipher naive = Cipher.getInstance("AES/CTR/NoPadding");
        naive.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(iv));
        assertThat(new String(naive.doFinal(ciphertext), StandardCharsets.UTF_8)).isEqualTo("{\"messageId\":\"pay\",\"amount\":\"999\"}");

        assertThatThrownBy(() -> decryptor(CipherFormat.GCM).decrypt(forged)).isInstanceOf(MessageDecryptor.TamperedMessageException.class);
        assertThatThrownBy(() -> decryptor(CipherFormat.CTR).decrypt(forged)).as("and its counter is beyond 2^53")
                .isInstanceOf(MessageDecryptor.TamperedMessageException.class);
        assertThatThrownBy(() -> decryptor(CipherFormat.CTR).decrypt(body)).as("a GCM body on a CTR session")
                .isInstanceOf(MessageDecryptor.TamperedMessageException.class);
    }

    @Test
    void maxBodyLengthBoundsBothEnvelopes() {
        for (int size : new int[] {0, 1, 2, 3, 100, 1000, 65_537}) {
            byte[] plaintext = new byte[size];
            int bound = Envelopes.maxBodyLength(size);
            assertThat(encryptor.encrypt(CipherFormat.GCM, key, plaintext).length()).isLessThanOrEqualTo(bound);
            assertThat(encryptor.encrypt(CipherFormat.CTR, key, plaintext).length()).isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void cipherAttributeDefaultsToTheOriginalCtrAndRejectsUnknownNames() {
        assertThat(CipherFormat.fromAttribute(null)).isEqualTo(CipherFormat.CTR);
        assertThat(CipherFormat.fromAttribute("gcm")).isEqualTo(CipherFormat.GCM);
        assertThat(CipherFormat.fromAttribute("ctr")).isEqualTo(CipherFormat.CTR);
        // Only the names the clients pin a session's cipher by (ChangeRecordParserTest: the item is refused).
        assertThatThrownBy(() -> CipherFormat.fromAttribute("AES-256-CTR")).hasMessageContaining("unknown cipher");
        assertThatThrownBy(() -> CipherFormat.fromAttribute("rot13")).hasMessageContaining("unknown cipher");
    }

    private MessageDecryptor decryptor(CipherFormat cipher) {
        return new MessageDecryptor(Base64.getEncoder().encodeToString(key), cipher);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }
}
