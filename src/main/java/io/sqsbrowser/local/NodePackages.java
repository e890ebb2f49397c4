package io.sqsbrowser.local;

import java.io.File;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/** The npm packages the local stack and the tests run (the emulators, the browser client), installed on first use. */
final class NodePackages {
    private NodePackages() {}

    /** {@code npm ci} in {@code dir} unless its {@code node_modules} is there: the lock file pins every version. */
    static synchronized void installOnce(File dir) throws IOException, InterruptedException {
        if (new File(dir, "node_modules").isDirectory()) {
            return;
        }
        Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(dir).inheritIO().start();
        if (!npm.waitFor(5, TimeUnit.MINUTES) || npm.exitValue() != 0) {
            throw new IllegalStateException("npm ci in " + dir + " failed");
        }
    }
}
