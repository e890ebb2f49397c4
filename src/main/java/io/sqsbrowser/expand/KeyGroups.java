package io.sqsbrowser.expand;

import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The key groups of one subtask, and what of a checkpoint falls in them. Sessions are keyed by user, so each user's
 * sessions live in one key group; expansions and grace-window events are union state, which every subtask reads whole
 * after a restore (at any parallelism) and keeps the part of that belongs to its key groups.
 */
final class KeyGroups {
    private final KeyGroupRange own;
    private final int maxParallelism;

    KeyGroups(int maxParallelism, int parallelism, int subtask) {
        this.maxParallelism = maxParallelism;
        this.own = KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(maxParallelism, parallelism, subtask);
    }

    KeyGroupRange range() {
        return own;
    }

    boolean owns(String userId) {
        return own.contains(keyGroup(userId));
    }

    /** The users of {@code users} whose key group is in {@code range}. */
    Collection<String> within(KeyGroupRange range, Collection<String> users) {
        return users.stream().filter(u -> range.contains(keyGroup(u))).collect(Collectors.toList());
    }

    /**
     * The part of a checkpointed expansion that falls in this subtask's key groups, or null: a user or session event if
     * its user is ours; of a fan-out event, the key groups it covered that are ours, and their unconfirmed messages.
     */
    Expansion resume(ExpansionProgress p) {
        if (p.targetUser != null) {
            return owns(p.targetUser) ? Expansion.restored(p, own, p.unconfirmed) : null;
        }
        KeyGroupRange covered = own.getIntersection(new KeyGroupRange(p.firstKeyGroup, p.lastKeyGroup));
        if (covered.getNumberOfKeyGroups() == 0) {
            return null;
        }
        List<String> resend = p.unconfirmed.stream()
                .filter(key -> covered.contains(keyGroup(Expansion.userOfRecipientKey(key))))
                .collect(Collectors.toList());
        return Expansion.restored(p, covered, resend);
    }

    /**
     * The grace-window events of the checkpoint that are ours, oldest first: the events of our users, and the fan-out
     * events (each subtask had them all: kept once).
     */
    List<RecentEvent> recentEvents(Iterable<RecentEvent> union) {
        Map<String, RecentEvent> kept = new LinkedHashMap<>();
        for (RecentEvent r : union) {
            if (r.event.userId == null || owns(r.event.userId)) {
                kept.putIfAbsent(r.event.messageId + '\u0000' + r.event.arrivalMillis + '\u0000' + r.event.userId, r);
            }
        }
        return kept.values().stream().sorted(Comparator.comparingLong(r -> r.takenAtMillis)).collect(Collectors.toList());
    }

    private int keyGroup(String userId) {
        return KeyGroupRangeAssignment.assignToKeyGroup(userId, maxParallelism);
    }
}
