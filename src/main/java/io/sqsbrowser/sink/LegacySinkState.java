package io.sqsbrowser.sink;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.ChainingStrategy;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.function.SerializableFunction;

/**
 * Hands on what a sink of an earlier release left unwritten in its checkpointed list state. Those sinks were
 * {@code SinkFunction}s (or plain operators) with lists of POJOs under their uids; they are now Sink V2 writers, whose
 * state Flink keeps as versioned bytes under the writer's own uid, and Flink cannot read a list of POJOs into that (it
 * reads a writer's earlier state names with a byte-array serializer: the restore would fail). Given the old sink's uid,
 * this pass-through operator restores the old lists, emits their elements into the new sink as soon as the task runs
 * (a processing-time timer, that is a mail), and keeps in its checkpoint only what it has not emitted yet: from then on
 * the new sink's own state holds them. Chained before the new sink, it costs one call per element.
 */
public final class LegacySinkState<T> extends AbstractStreamOperator<T> implements OneInputStreamOperator<T, T> {
    private static final long serialVersionUID = 1L;

    /** One list state of the old sink, by name and element type, and how its elements become the new sink's input. */
    public static final class OldList<S, T> implements Serializable {
        private static final long serialVersionUID = 1L;
        final String name;
        final Class<S> type;
        final SerializableFunction<S, T> asInput;

        public OldList(String name, Class<S> type, SerializableFunction<S, T> asInput) {
            this.name = name;
            this.type = type;
            this.asInput = asInput;
        }
    }

    private final List<OldList<?, T>> lists;
    private transient List<Restored<?, T>> restored;

    public LegacySinkState(List<OldList<?, T>> lists) {
        this.lists = lists;
        setChainingStrategy(ChainingStrategy.ALWAYS);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        restored = new ArrayList<>();
        for (OldList<?, T> list : lists) {
            restored.add(Restored.of(list, context));
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (restored.stream().anyMatch(r -> !r.elements.isEmpty())) {
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime(), time -> emitRestored());
        }
    }

    private void emitRestored() {
        for (Restored<?, T> r : restored) {
            r.emit(element -> output.collect(new StreamRecord<>(element)));
        }
    }

    @Override
    public void processElement(StreamRecord<T> element) {
        output.collect(element);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        for (Restored<?, T> r : restored) {
            r.snapshot();
        }
    }

    /** One old list: its state, and the elements not emitted yet. */
    private static final class Restored<S, T> {
        final OldList<S, T> list;
        final ListState<S> state;
        final List<S> elements = new ArrayList<>();

        private Restored(OldList<S, T> list, ListState<S> state) throws Exception {
            this.list = list;
            this.state = state;
            state.get().forEach(elements::add);
        }

        static <S, T> Restored<S, T> of(OldList<S, T> list, StateInitializationContext context) throws Exception {
            return new Restored<>(list, context.getOperatorStateStore().getListState(new ListStateDescriptor<>(list.name, list.type)));
        }

        void emit(java.util.function.Consumer<T> out) {
            elements.forEach(e -> out.accept(list.asInput.apply(e)));
            elements.clear();
        }

        void snapshot() throws Exception {
            state.update(new ArrayList<>(elements));
        }
    }
}
