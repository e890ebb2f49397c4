package io.sqsbrowser.session;

import java.util.AbstractSet;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A set of strings in one array (open addressing, linear probing): a reference per member and some free slots,
 * where a {@link java.util.HashSet} spends a 32-byte node per member. The account index holds every user once per
 * account, a million of them in a large subtask, so the nodes would be a tenth of the job's memory per session.
 * Not thread-safe; its iterator does not support removal and must not outlive a change.
 */
final class CompactStringSet extends AbstractSet<String> {
    private static final int MIN_CAPACITY = 4;
    private final long seed = ThreadLocalRandom.current().nextLong();
    private String[] slots = new String[MIN_CAPACITY];
    private int size;

    @Override
    public int size() {
        return size;
    }

    @Override
    public boolean contains(Object o) {
        return o instanceof String && slots[find((String) o)] != null;
    }

    @Override
    public boolean add(String member) {
        int i = find(member);
        if (slots[i] != null) {
            return false;
        }
        slots[i] = member;
        size++;
        // At most 3/4 full, so a probe always meets an empty slot and stays short.
        if (size * 4 > slots.length * 3) {
            resize(slots.length * 2);
        }
        return true;
    }

    @Override
    public boolean remove(Object o) {
        if (!(o instanceof String)) {
            return false;
        }
        int hole = find((String) o);
        if (slots[hole] == null) {
            return false;
        }
        slots[hole] = null;
        size--;
        closeGap(hole);
        if (slots.length > MIN_CAPACITY && size * 8 < slots.length) {
            resize(slots.length / 2);
        }
        return true;
    }

    /**
     * Deletion without tombstones: members after the hole, up to the next empty slot, move back into it unless
     * their home slot lies (cyclically) after the hole, so every member stays reachable from its home slot.
     */
    private void closeGap(int hole) {
        int mask = slots.length - 1;
        for (int i = (hole + 1) & mask; slots[i] != null; i = (i + 1) & mask) {
            int home = home(slots[i], mask);
            boolean homeAfterHole = hole <= i ? hole < home && home <= i : hole < home || home <= i;
            if (!homeAfterHole) {
                slots[hole] = slots[i];
                slots[i] = null;
                hole = i;
            }
        }
    }

    /** The slot holding {@code member}, or the empty slot where it would go. */
    private int find(String member) {
        int mask = slots.length - 1;
        int i = home(member, mask);
        while (slots[i] != null && !slots[i].equals(member)) {
            i = (i + 1) & mask;
        }
        return i;
    }

    /**
     * The slot a member's probe starts from, by a hash seeded per set rather than {@link String#hashCode}: user ids
     * with equal hash codes are easy to make ("Aa" and "BB"), and in an array set without the trees a HashMap
     * falls back to, a run of them would make each change to the set linear in their number.
     */
    private int home(String member, int mask) {
        long h = seed;
        for (int i = 0; i < member.length(); i++) {
            h = (h ^ member.charAt(i)) * 0x9E3779B97F4A7C15L;
        }
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void resize(int capacity) {
        String[] old = slots;
        slots = new String[capacity];
        for (String member : old) {
            if (member != null) {
                slots[find(member)] = member;
            }
        }
    }

    /** The members into {@code into} from {@code offset}; answers the offset after the last. */
    int copyInto(String[] into, int offset) {
        int at = offset;
        for (String member : slots) {
            if (member != null) {
                into[at++] = member;
            }
        }
        return at;
    }

    @Override
    public Iterator<String> iterator() {
        return new Iterator<>() {
            private int i = advance(0);

            private int advance(int from) {
                int j = from;
                while (j < slots.length && slots[j] == null) {
                    j++;
                }
                return j;
            }

            @Override
            public boolean hasNext() {
                return i < slots.length;
            }

            @Override
            public String next() {
                if (i >= slots.length) {
                    throw new NoSuchElementException();
                }
                String member = slots[i];
                i = advance(i + 1);
                return member;
            }
        };
    }
}
