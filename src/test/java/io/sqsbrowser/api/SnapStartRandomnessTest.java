package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.FreshRandom;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * With SnapStart, every environment resumed from one snapshot shares whatever random state init made. The session
 * Lambda draws every random value (keys, queue names, message ids) from {@link FreshRandom}, which reads /dev/urandom
 * on every draw, and only while it handles a request. What this test can check here: that no other random source is
 * in the Lambda's code, and that the one there reads the operating system's. That a resumed environment's
 * /dev/urandom differs is AWS's to keep (its SnapStart uniqueness page).
 */
class SnapStartRandomnessTest {
    /** The packages in the Lambda's jar (pom.xml, the lambda-jar execution). */
    private static final List<String> LAMBDA_PACKAGES = List.of("api", "aws", "crypto", "event", "deadletter");
    private static final Pattern OTHER_SOURCES = Pattern.compile(
            "new SecureRandom\\(|SecureRandom\\.getInstance|new Random\\(|java\\.util\\.Random\\b|ThreadLocalRandom|Math\\.random|UUID\\.randomUUID");

    @Test
    void theLambdasOnlyRandomSourceReadsTheOperatingSystemsOnEveryDraw() throws IOException {
        assertThat(FreshRandom.algorithm()).isEqualTo("NativePRNGNonBlocking");
        assertThat(FreshRandom.bytes(32)).isNotEqualTo(FreshRandom.bytes(32));
        for (String pkg : LAMBDA_PACKAGES) {
            try (Stream<Path> files = Files.walk(Path.of("src/main/java/io/sqsbrowser", pkg))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).collect(Collectors.toList())) {
                    String name = file.getFileName().toString();
                    if (name.equals("FreshRandom.java") || name.equals("MessageEncryptor.java") || name.equals("DeadLetterWriter.java")) {
                        continue; // the source itself; the job's encryptor and dead-letter backoff, never run by the Lambda
                    }
                    assertThat(OTHER_SOURCES.matcher(Files.readString(file)).find()).as("a random source of its own in %s", file).isFalse();
                }
            }
        }
    }
}
