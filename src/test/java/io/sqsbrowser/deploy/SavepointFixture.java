package io.sqsbrowser.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A savepoint taken from one release's job, kept as a test resource ({@code src/test/resources/savepoints/<release>/}:
 * the savepoint in {@code savepoint/}, this manifest in {@code manifest.json}), as Flink keeps one per version for its
 * migration tests: every later release must restore it and finish its work with nothing lost. Written once by
 * {@link SavepointFixtureWriter}, never again; a new release adds a directory of its own.
 */
public final class SavepointFixture {
    static final Path ROOT = Path.of("src/test/resources/savepoints");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Which release took it (commit, date) and with what. */
    public String release;
    public String flinkVersion;
    public int parallelism;
    public int maxParallelism;
    public String queuePrefix;
    public List<Session> sessions = new ArrayList<>();
    /** Session ({@code user/session}) to the ids of the messages it must have, before or after the restore. */
    public Map<String, List<String>> expected = new TreeMap<>();
    /** What each session's queue held when the savepoint was taken (that world's queues are gone). */
    public Map<String, List<String>> deliveredBefore = new TreeMap<>();
    /**
     * The sequences ({@code <epoch>:<n>}) of what each session's queue held then; empty for releases before sequences.
     * A later release goes on with each session's numbering: same epoch, no number skipped (no gap its client would see).
     */
    public Map<String, List<String>> sequencesBefore = new TreeMap<>();
    /** History rows ({@code user/messageId}) that must exist, and those written before the savepoint. */
    public List<String> historyExpected = new ArrayList<>();
    public List<String> historyBefore = new ArrayList<>();
    /** Stages of dead letters waiting in the savepoint (their destination was down). */
    public List<String> deadLetterStagesExpected = new ArrayList<>();
    /** What the job was doing when the savepoint was taken, in words. */
    public List<String> inProgress = new ArrayList<>();

    /** A session in the savepoint's state. */
    public static final class Session {
        public String accountId;
        public String userId;
        public String sessionId;
        public String queueName;
        public String aesKey;
        public String cipher;
        /** Destroyed before the savepoint: its tombstone is in the state, and it must receive nothing. */
        public boolean removed;

        public String key() {
            return userId + "/" + sessionId;
        }
    }

    /** Every fixture kept, oldest first. */
    static List<Path> all() throws IOException {
        try (Stream<Path> dirs = Files.list(ROOT)) {
            return dirs.filter(d -> Files.exists(d.resolve("manifest.json"))).sorted().collect(Collectors.toList());
        }
    }

    static SavepointFixture read(Path dir) throws IOException {
        return JSON.readValue(dir.resolve("manifest.json").toFile(), SavepointFixture.class);
    }

    void write(Path dir) throws IOException {
        Files.createDirectories(dir);
        JSON.writeValue(dir.resolve("manifest.json").toFile(), this);
    }

    static Path savepoint(Path dir) {
        return dir.resolve("savepoint");
    }
}
