package io.sqsbrowser.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark process of its own (a fresh JVM, so neither side's JIT, threads or garbage distort the other's
 * figures), driven by lines on its standard input and answering on its standard output. Its CPU time is read
 * from /proc, as for any process.
 */
final class Child implements AutoCloseable {
    private static final long HZ = clockTicks();
    private final Process process;
    private final BufferedReader out;
    private final PrintWriter in;

    Child(String mainClass, List<String> jvmFlags, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath()));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        in = new PrintWriter(process.getOutputStream(), true, StandardCharsets.UTF_8);
    }

    /** Sends a command and waits for the answer line starting with {@code expected}; answers its rest. */
    String ask(String command, String expected) throws IOException {
        in.println(command);
        return await(expected);
    }

    String await(String expected) throws IOException {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(expected)) {
                return line.substring(expected.length()).trim();
            }
        }
        throw new IOException("the child process ended before answering " + expected);
    }

    long pid() {
        return process.pid();
    }

    long cpuNanos() {
        return cpuNanos(process.pid());
    }

    /** User and system CPU time of a process, from /proc/&lt;pid&gt;/stat. */
    static long cpuNanos(long pid) {
        try {
            return ticksOf(Files.readString(Path.of("/proc/" + pid + "/stat"))) * 1_000_000_000L / HZ;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the CPU time of process " + pid, e);
        }
    }

    /** CPU time of the process's JIT compiler threads: a JVM that still compiles is not warmed up yet. */
    long jitCpuNanos() {
        long ticks = 0;
        try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc/" + process.pid() + "/task"))) {
            for (Path thread : threads) {
                try {
                    if (Files.readString(thread.resolve("comm")).contains("CompilerThre")) {
                        ticks += ticksOf(Files.readString(thread.resolve("stat")));
                    }
                } catch (IOException threadEnded) {
                    // a compiler thread that has just ended
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the threads of process " + process.pid(), e);
        }
        return ticks * 1_000_000_000L / HZ;
    }

    private static long ticksOf(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
            return Long.parseLong(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        } catch (IOException | NumberFormatException e) {
            return 100;
        }
    }

    @Override
    public void close() {
        in.println("quit");
        try {
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
