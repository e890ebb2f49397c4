package io.sqsbrowser.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.sqsbrowser.testing.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door's first command, run as README writes it and as a person would: in a fresh copy of the repository
 * (what git tracks, the npm packages linked), it prints what README shows, and Ctrl-C stops it cleanly: nothing
 * reported as a crash, no warning first thing. It runs in a session of its own ({@code setsid}), so that the Ctrl-C (a
 * SIGINT to the whole process group, as a terminal sends it) reaches the command and what it started, not the tests.
 */
class FrontDoorIT {
    private static final Path README = Path.of("README.md");

    @Test
    void theLocalCommandsPrintWhatReadmeShowsAndCtrlCStopsEverythingQuietly(@TempDir Path copy) throws Exception {
        List<String> readme = Files.readAllLines(README, StandardCharsets.UTF_8);
        List<String> commands = readme.stream().filter(l -> l.startsWith("mvn -q -Plocal test-compile exec:exec")).limit(2)
                .collect(java.util.stream.Collectors.toList());
        assertThat(commands).as("README's two local commands: the stack, and the stack with the demo").hasSize(2);
        List<String> shown = block(readme, "sqs-browser-events, local stack:");
        assumeTrue(free(8080) && free(8081) && free(8082), "the front door's ports (8080-8082) are taken: a local stack runs here");
        copyRepository(copy);
        String stack = runAndInterrupt(copy, commands.get(0), "  up in ");
        assertThat(stack).as("what the command printed").contains(String.join("\n", shown));
        assertThat(stack.substring(0, stack.indexOf(shown.get(0)))).as("nothing before it").isBlank();
        String demo = runAndInterrupt(copy, commands.get(1), "\"message\":\"Hello Politics\"");
        assertThat(demo).as("the demo's output").contains(String.join("\n", shown)).contains("\"message\":\"Hello User\"")
                .doesNotContain("JAXB").doesNotContain("WARNING");
    }

    /**
     * Runs a command of README in the copy until it prints {@code ready}, then presses Ctrl-C: everything it started
     * stops, without a word of a crash. Answers what it printed.
     */
    private static String runAndInterrupt(Path copy, String command, String ready) throws Exception {
        Path output = Files.createTempFile(copy, "front-door", ".log");
        Path emulatorLogs = copy.resolve("target/emulators");
        org.apache.flink.util.FileUtils.deleteDirectoryQuietly(emulatorLogs.toFile());
        Process p = new ProcessBuilder("setsid", "bash", "-c", command).directory(copy.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).start();
        try {
            Await.until(Duration.ofMinutes(8), () -> "\"" + command + "\" to print " + ready + "; it printed:\n" + read(output),
                    () -> read(output).contains(ready) || !p.isAlive());
            new ProcessBuilder("kill", "-INT", "--", "-" + p.pid()).inheritIO().start().waitFor();
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("the command ends at Ctrl-C").isTrue();
            Await.until(Duration.ofSeconds(60), "every process it started to stop", () -> processesOf(p.pid()).isEmpty());
            String all = read(output);
            assertThat(all).as("what it printed when stopped").doesNotContain("exited with code");
            // The emulators lived through the Ctrl-C, to be stopped by the stack after its job: none vanished under the job.
            try (java.util.stream.Stream<Path> logs = Files.list(emulatorLogs)) {
                assertThat(logs.map(FrontDoorIT::read)).as("each emulator's last words").hasSize(2)
                        .allSatisfy(log -> assertThat(log).contains("interrupted: the process that started me stops me"));
            }
            return all;
        } finally {
            new ProcessBuilder("kill", "-KILL", "--", "-" + p.pid()).start().waitFor();
        }
    }

    /** The fenced block of README that begins with {@code firstLine}. */
    private static List<String> block(List<String> readme, String firstLine) {
        int start = readme.indexOf(firstLine);
        assertThat(start).as("README shows what the command prints, from \"%s\"", firstLine).isPositive();
        List<String> lines = new ArrayList<>();
        for (int i = start; !readme.get(i).startsWith("```"); i++) {
            lines.add(readme.get(i));
        }
        return lines;
    }

    /** What git tracks, as a fresh clone has it, and the npm packages the tests installed (linked, not copied). */
    private static void copyRepository(Path copy) throws Exception {
        Process ls = new ProcessBuilder("git", "ls-files", "-z").redirectErrorStream(false).start();
        String files = new String(ls.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ls.waitFor()).isZero();
        for (String file : files.split("\0")) {
            if (file.isEmpty() || !Files.isRegularFile(Path.of(file))) {
                continue;
            }
            Path target = copy.resolve(file);
            Files.createDirectories(target.getParent());
            Files.copy(Path.of(file), target);
            if (Files.isExecutable(Path.of(file))) {
                target.toFile().setExecutable(true);
            }
        }
        for (String packages : List.of("src/emulators/node_modules", "src/client-js/node_modules")) {
            Files.createSymbolicLink(copy.resolve(packages), Path.of(packages).toAbsolutePath());
        }
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /** The processes of the process group the command led. */
    private static List<Long> processesOf(long group) {
        try {
            Process ps = new ProcessBuilder("ps", "-o", "pid=,stat=", "-g", Long.toString(group)).start();
            List<Long> pids = new ArrayList<>();
            for (String line : new String(ps.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                String[] pidAndState = line.trim().split("\\s+");
                if (pidAndState.length == 2 && !pidAndState[1].startsWith("Z")) { // an ended process not yet reaped is gone
                    pids.add(Long.parseLong(pidAndState[0]));
                }
            }
            ps.waitFor();
            return pids;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String read(Path output) {
        try {
            return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }
}
