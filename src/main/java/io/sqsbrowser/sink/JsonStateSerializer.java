package io.sqsbrowser.sink;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A sink writer's state as JSON of its public fields: readable in a savepoint, and a field added later reads as its
 * default from an older one. A change that an older state could not be read into takes a new {@link #VERSION}, and
 * this class then reads every earlier one.
 */
public final class JsonStateSerializer<S> implements SimpleVersionedSerializer<S> {
    static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper()
            .setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE)
            .setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.PUBLIC_ONLY);
    private final Class<S> type;

    public JsonStateSerializer(Class<S> type) {
        this.type = type;
    }

    @Override
    public int getVersion() {
        return VERSION;
    }

    @Override
    public byte[] serialize(S state) throws IOException {
        return JSON.writeValueAsBytes(state);
    }

    @Override
    public S deserialize(int version, byte[] serialized) throws IOException {
        if (version != VERSION) {
            throw new IOException(type.getSimpleName() + " state of version " + version + ", which this release cannot read (it reads "
                    + VERSION + "): restore it with the release that wrote it, or a later one");
        }
        return JSON.readValue(serialized, type);
    }
}
