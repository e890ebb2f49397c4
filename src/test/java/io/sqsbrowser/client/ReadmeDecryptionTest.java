package io.sqsbrowser.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.MessageEncryptor;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The browser decryption snippet in README.md, run in Node's WebCrypto against what the job encrypts. */
class ReadmeDecryptionTest {
    @Test
    void theReadmeJavascriptDecryptsBothEnvelopes() throws Exception {
        Matcher js = Pattern.compile("```javascript\n(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(Path.of("README.md")));
        assertThat(js.find()).as("README has a javascript block").isTrue();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String k = Base64.getEncoder().encodeToString(key);
        MessageEncryptor encryptor = new MessageEncryptor();
        String ctr = encryptor.encrypt(CipherFormat.CTR, key, "{\"m\":\"héllo ctr\"}".getBytes(StandardCharsets.UTF_8));
        String gcm = encryptor.encrypt(CipherFormat.GCM, key, "{\"m\":\"héllo gcm\"}".getBytes(StandardCharsets.UTF_8));
        String script = js.group(1)
                + "console.log(await decrypt('" + ctr + "', '" + k + "'));\n"
                + "console.log(await decrypt('" + gcm + "', '" + k + "'));\n";
        File file = File.createTempFile("readme-decrypt", ".mjs");
        file.deleteOnExit();
        Files.writeString(file.toPath(), script);
        Process node = new ProcessBuilder("node", file.getPath()).redirectErrorStream(true).start();
        assertThat(node.waitFor(30, TimeUnit.SECONDS)).isTrue();
        String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).isEqualTo("{\"m\":\"héllo ctr\"}\n{\"m\":\"héllo gcm\"}\n");
    }
}
