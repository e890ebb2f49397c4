package io.sqsbrowser.expand;

/**
 * What a checkpoint keeps of the {@link ScopeLog}'s gaps, so that a rewind after a restore says what it cannot give: the
 * newest arrival a scope lost before its time ({@code scope} set), or, without a scope, the arrival from which the log
 * holds every fan-out event. A Flink POJO.
 */
public class ScopeLogCoverage {
    public String scope;
    public long arrivalMillis;

    public ScopeLogCoverage() {}

    ScopeLogCoverage(String scope, long arrivalMillis) {
        this.scope = scope;
        this.arrivalMillis = arrivalMillis;
    }
}
