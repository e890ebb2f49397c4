package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The browser client's own suites in the normal test command, each run by Node as a developer runs it: its unit
 * tests, its size budget and type declarations, and the browser tests, in Debian's headless Chromium, against a
 * local stack started here with credentials that last 30 s (so renewal is exercised). Each suite's output is kept
 * in {@code target/client-js/}.
 */
class BrowserClientIT {
    private static final File PACKAGE = new File("src/client-js");
    private static final Path OUTPUT = Path.of("target/client-js");
    private static final String CHROMIUM = System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium");

    @Test
    void unitTestsPass() throws Exception {
        assertThat(npm("unit-tests", Map.of(), Duration.ofMinutes(5), "test")).isZero();
    }

    @Test
    void itFitsItsSizeBudgetAndItsDeclarationsCheck() throws Exception {
        assertThat(npm("size", Map.of(), Duration.ofMinutes(2), "run", "size")).isZero();
        assertThat(npm("typecheck", Map.of(), Duration.ofMinutes(2), "run", "typecheck")).isZero();
    }

    @Test
    void browserTestsPassInChromiumAgainstTheLocalStack() throws Exception {
        assertThat(new File(CHROMIUM).canExecute()).as("Chromium from Debian at " + CHROMIUM + " (apt-get install chromium; .ci/run installs it)").isTrue();
        try (LocalStack stack = LocalStack.start(Emulators.freePort(), Emulators.freePort(), 0, 30, LocalIdentityServices.PrincipalTags.CARRIED)) {
            stack.awaitHealthy(Duration.ofMinutes(2));
            assertThat(npm("browser-tests", Map.of("LOCAL_API", stack.apiUrl(), "CHROMIUM", CHROMIUM), Duration.ofMinutes(15),
                    "run", "test:browser")).isZero();
        }
    }

    /** Runs {@code npm args...} in the package; prints Node's summary lines (and the whole output if it failed). */
    private static int npm(String name, Map<String, String> environment, Duration timeout, String... args) throws Exception {
        NodePackages.installOnce(PACKAGE);
        Files.createDirectories(OUTPUT);
        File log = OUTPUT.resolve(name + ".log").toFile();
        List<String> command = new ArrayList<>(List.of("npm"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(PACKAGE).redirectErrorStream(true).redirectOutput(log);
        builder.environment().putAll(environment);
        Process npm = builder.start();
        if (!npm.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            npm.descendants().forEach(ProcessHandle::destroyForcibly);
            npm.destroyForcibly();
            throw new AssertionError("npm " + String.join(" ", args) + " ran longer than " + timeout + "; see " + log);
        }
        List<String> lines = Files.readAllLines(log.toPath(), StandardCharsets.UTF_8);
        List<String> shown = npm.exitValue() == 0 ? summary(lines) : lines;
        System.out.println("npm " + String.join(" ", args) + ":\n  " + String.join("\n  ", shown));
        return npm.exitValue();
    }

    /** Node's test-runner totals and anything a size script prints. */
    private static List<String> summary(List<String> lines) {
        return lines.stream().filter(l -> l.matches("^(ℹ|#) (tests|pass|fail|duration_ms) .*") || l.contains("gzipped"))
                .collect(Collectors.toList());
    }
}
