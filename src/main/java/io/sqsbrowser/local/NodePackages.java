package io.sqsbrowser.local;

import java.io.File;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * The npm packages the local stack and the tests run (the emulators, the browser client, the AWS contract checkers),
 * installed on first use.
 */
public final class NodePackages {
    private NodePackages() {}

    /**
     * {@code npm ci} in {@code dir} unless its {@code node_modules} is there: the lock file pins every version. Its output
     * goes to {@code target/npm-<dir>.log}, and it is given no standard input of this process's: npm makes an inherited
     * one non-blocking, which breaks a test JVM's channel to Maven.
     */
    public static synchronized void installOnce(File dir) throws IOException, InterruptedException {
        if (new File(dir, "node_modules").isDirectory()) {
            return;
        }
        File log = new File("target", "npm-" + dir.getName() + ".log");
        log.getParentFile().mkdirs();
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        npm.getOutputStream().close();
        if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
            throw new IllegalStateException("npm ci in " + dir + " failed: see " + log);
        }
    }
}
