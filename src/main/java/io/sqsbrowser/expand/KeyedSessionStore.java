package io.sqsbrowser.expand;

import io.sqsbrowser.session.SessionDirectory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;

/**
 * Each user's sessions in the expander's keyed state (key: the user id): heap or RocksDB, redistributed by key group
 * when the job is rescaled. Reading a user makes it the backend's current key.
 */
final class KeyedSessionStore implements SessionDirectory.Store {
    private final KeyedStateBackend<Object> backend;
    private final ValueState<byte[]> sessions;
    private final String stateName;

    KeyedSessionStore(KeyedStateBackend<Object> backend, ValueState<byte[]> sessions, String stateName) {
        this.backend = backend;
        this.sessions = sessions;
        this.stateName = stateName;
    }

    @Override
    public byte[] get(String userId) {
        backend.setCurrentKey(userId);
        try {
            return sessions.value();
        } catch (IOException e) {
            throw new UncheckedIOException("reading session state failed", e);
        }
    }

    @Override
    public void put(String userId, byte[] value) {
        backend.setCurrentKey(userId);
        try {
            sessions.update(value);
        } catch (IOException e) {
            throw new UncheckedIOException("writing session state failed", e);
        }
    }

    @Override
    public void remove(String userId) {
        backend.setCurrentKey(userId);
        sessions.clear();
    }

    @Override
    public List<String> users() {
        try (Stream<Object> keys = backend.getKeys(stateName, VoidNamespace.INSTANCE)) {
            return keys.map(String.class::cast).collect(Collectors.toList());
        }
    }
}
