package io.sqsbrowser.aws;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** Background timers (retries, periodic flushes) that never keep a JVM alive on their own. */
public final class DaemonThreads {
    private DaemonThreads() {}

    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }
}
