package io.sqsbrowser.sink;

import java.io.IOException;
import java.util.List;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.SupportsWriterState;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A sink on Flink's Sink V2 API whose writer keeps what it has not yet written in each checkpoint, as a list of
 * {@code S} (serialized as JSON, {@link JsonStateSerializer}); after a rescale Flink spreads the list's elements over
 * the new writers. Subclasses make the writer from the restored elements (none at a fresh start).
 */
public abstract class WriterStateSink<IN, S> implements Sink<IN>, SupportsWriterState<IN, S> {
    private static final long serialVersionUID = 1L;
    private final Class<S> stateType;

    protected WriterStateSink(Class<S> stateType) {
        this.stateType = stateType;
    }

    @Override
    public final StatefulSinkWriter<IN, S> createWriter(WriterInitContext context) throws IOException {
        return restoreWriter(context, List.of());
    }

    /**
     * Flink 1.19 still declares this as the abstract method, but its runtime calls {@link #createWriter(WriterInitContext)}
     * (and Flink 2 has only that one): nothing reaches here.
     */
    @Override
    @Deprecated
    public final SinkWriter<IN> createWriter(Sink.InitContext context) {
        throw new UnsupportedOperationException("Flink creates Sink V2 writers with a WriterInitContext");
    }

    @Override
    public final SimpleVersionedSerializer<S> getWriterStateSerializer() {
        return new JsonStateSerializer<>(stateType);
    }
}
