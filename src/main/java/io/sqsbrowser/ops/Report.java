package io.sqsbrowser.ops;

import java.io.PrintStream;

/** The smoke test's output: one line per check, PASS, FAIL or SKIP, with what was seen. */
final class Report {
    private final PrintStream out;
    private int failures;

    Report(PrintStream out) {
        this.out = out;
    }

    void pass(String check, String detail) {
        line("PASS", check, detail);
    }

    void fail(String check, String detail) {
        failures++;
        line("FAIL", check, detail);
    }

    void skip(String check, String detail) {
        line("SKIP", check, detail);
    }

    /** Runs a check; an exception it throws is its failure, and the rest go on. */
    void check(String check, Check body) {
        try {
            body.run();
        } catch (CheckFailed e) {
            fail(check, e.getMessage());
        } catch (RuntimeException e) {
            fail(check, e.toString());
        }
    }

    int failures() {
        return failures;
    }

    private void line(String verdict, String check, String detail) {
        out.printf("%-4s  %-26s %s%n", verdict, check, detail);
        out.flush();
    }

    /** A check's body: calls {@link #pass}/{@link #skip} itself, or throws {@link CheckFailed}. */
    interface Check {
        void run();
    }

    /** A check that did not hold; the message says what was seen instead. */
    static final class CheckFailed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CheckFailed(String message) {
            super(message, null, false, false);
        }
    }
}
