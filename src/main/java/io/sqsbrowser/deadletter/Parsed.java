package io.sqsbrowser.deadletter;

/** What a deserializer makes of one record: a value, or a dead letter saying why not. A Flink POJO. */
public class Parsed<T> {
    public T value;
    public DeadLetter deadLetter;

    public Parsed() {}

    public static <T> Parsed<T> valid(T value) {
        Parsed<T> p = new Parsed<>();
        p.value = value;
        return p;
    }

    public static <T> Parsed<T> invalid(DeadLetter deadLetter) {
        Parsed<T> p = new Parsed<>();
        p.deadLetter = deadLetter;
        return p;
    }
}
