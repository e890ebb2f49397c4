package io.sqsbrowser.testing;

import io.sqsbrowser.session.SessionDirectory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A session directory's store in a map, for tests of the directory and the pump without Flink's keyed state. */
public final class MapSessionStore implements SessionDirectory.Store {
    private final Map<String, byte[]> users = new TreeMap<>();

    @Override
    public byte[] get(String userId) {
        return users.get(userId);
    }

    @Override
    public void put(String userId, byte[] sessions) {
        users.put(userId, sessions);
    }

    @Override
    public void remove(String userId) {
        users.remove(userId);
    }

    @Override
    public List<String> users() {
        return new ArrayList<>(users.keySet());
    }
}
