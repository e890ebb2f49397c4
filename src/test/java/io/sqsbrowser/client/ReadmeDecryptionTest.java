package io.sqsbrowser.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.MessageEncryptor;
import java.io.File;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The decryption snippets in docs/envelopes.md, run as written (JavaScript in Node's WebCrypto, Python with Debian's
 * python3-cryptography) against what the job encrypts: both envelopes decrypt with the session's cipher, and the
 * downgrade (a captured GCM body re-sent as CTR with counter nonce ‖ 2 and known bytes flipped) is refused.
 */
class ReadmeDecryptionTest {
    private static final String PLAIN_CTR = "{\"m\":\"héllo ctr\"}";
    private static final String PLAIN_GCM = "{\"messageId\":\"pay\",\"amount\":\"100\"}";
    private static String key;
    private static String ctr;
    private static String gcm;
    private static String forged;

    @BeforeAll
    static void bodies() {
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        key = Base64.getEncoder().encodeToString(raw);
        MessageEncryptor encryptor = new MessageEncryptor();
        ctr = encryptor.encrypt(CipherFormat.CTR, raw, PLAIN_CTR.getBytes(StandardCharsets.UTF_8));
        gcm = encryptor.encrypt(CipherFormat.GCM, raw, PLAIN_GCM.getBytes(StandardCharsets.UTF_8));
        byte[] sealed = Base64.getDecoder().decode(gcm.substring(3));
        byte[] ciphertext = Arrays.copyOfRange(sealed, 12, sealed.length - 16);
        int at = PLAIN_GCM.indexOf("100");
        for (int i = 0; i < 3; i++) {
            ciphertext[at + i] ^= (byte) ("100".charAt(i) ^ "999".charAt(i));
        }
        BigInteger counter = new BigInteger(1, Arrays.copyOf(sealed, 12)).shiftLeft(32).or(BigInteger.TWO);
        forged = counter + "|" + Base64.getEncoder().encodeToString(ciphertext);
    }

    @Test
    void theReadmeJavascriptDecryptsWithTheSessionsCipherAndRefusesTheDowngrade() throws Exception {
        String script = snippet("javascript") + "\nconst attempt = async (...a) => { try { return await decrypt(...a); } "
                + "catch (e) { return 'refused: ' + e.message; } };\n"
                + "for (const [body, cipher] of " + cases("'") + ") console.log(await attempt(body, '" + key + "', cipher));\n";
        assertThat(run(List.of("node"), ".mjs", script)).isEqualTo(expected());
    }

    @Test
    void theReadmePythonDecryptsWithTheSessionsCipherAndRefusesTheDowngrade() throws Exception {
        String script = snippet("python") + "\n\nfor body, cipher in " + cases("\"") + ":\n    try:\n        print(decrypt(body, \""
                + key + "\", cipher))\n    except Exception as e:\n        print(\"refused: \" + str(e))\n";
        assertThat(run(List.of("/usr/bin/python3"), ".py", script)).isEqualTo(expected());
    }

    private static String cases(String q) {
        return "[[" + q + ctr + q + ", " + q + "ctr" + q + "], [" + q + gcm + q + ", " + q + "gcm" + q + "], [" + q + forged + q + ", "
                + q + "gcm" + q + "], [" + q + forged + q + ", " + q + "ctr" + q + "], [" + q + gcm + q + ", " + q + "ctr" + q + "]]";
    }

    private static String expected() {
        return PLAIN_CTR + "\n" + PLAIN_GCM + "\nrefused: tampered: not the session's GCM envelope\n"
                + "refused: tampered: not the session's CTR envelope\nrefused: tampered: not the session's CTR envelope\n";
    }

    private static String snippet(String language) throws Exception {
        Matcher m = Pattern.compile("```" + language + "\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(Path.of("docs/envelopes.md")));
        assertThat(m.find()).as("docs/envelopes.md has a %s block", language).isTrue();
        return m.group(1);
    }

    private static String run(List<String> command, String suffix, String script) throws Exception {
        File file = File.createTempFile("readme-decrypt", suffix);
        file.deleteOnExit();
        Files.writeString(file.toPath(), script);
        List<String> full = new java.util.ArrayList<>(command);
        full.add(file.getPath());
        Process p = new ProcessBuilder(full).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
