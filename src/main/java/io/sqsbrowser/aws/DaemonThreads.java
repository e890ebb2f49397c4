package io.sqsbrowser.aws;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;

/** Background threads (timers, SDK calls) that never keep a JVM alive on their own. */
public final class DaemonThreads {
    private DaemonThreads() {}

    public static ScheduledExecutorService scheduler(String name) {
        return Executors.newSingleThreadScheduledExecutor(factory(name));
    }

    /** Daemon threads, each named {@code name}. */
    public static ThreadFactory factory(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
