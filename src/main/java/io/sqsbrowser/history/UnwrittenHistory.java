package io.sqsbrowser.history;

import io.sqsbrowser.deadletter.DeadLetter;

/**
 * One element of the history writer's checkpointed state: a message's rows still to write for some users, or the
 * dead letter of a row the table refused that is not yet written to the dead-letter destination. Exactly one is set.
 */
public class UnwrittenHistory {
    public HistoryRows rows;
    public DeadLetter deadLetter;

    public UnwrittenHistory() {}

    static UnwrittenHistory rows(HistoryRows rows) {
        UnwrittenHistory u = new UnwrittenHistory();
        u.rows = rows;
        return u;
    }

    static UnwrittenHistory deadLetter(DeadLetter deadLetter) {
        UnwrittenHistory u = new UnwrittenHistory();
        u.deadLetter = deadLetter;
        return u;
    }
}
