package io.sqsbrowser.session;

import io.sqsbrowser.deadletter.Parsed;
import java.io.Serializable;
import java.util.List;

/** A read of the whole session table, on threads of its own, handing parsed items over page by page. */
public interface SessionScan extends AutoCloseable {
    /** Where the scan's items go; called from the scan's threads. */
    interface Receiver {
        /** A page of parsed items; may block to slow the scan down. */
        void items(List<Parsed<SessionRecord>> page) throws InterruptedException;

        /** Every segment has been read. */
        void finished();
    }

    /** Makes the scan where it runs (an operator's subtask): serializable, so the job graph can carry it. */
    interface Factory extends Serializable {
        SessionScan create();
    }

    void start(Receiver receiver);

    /** Stops the scan's threads (a page being handed over may still arrive). */
    @Override
    void close();
}
