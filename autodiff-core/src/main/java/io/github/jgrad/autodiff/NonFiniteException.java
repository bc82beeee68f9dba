package io.github.jgrad.autodiff;

/**
 * What {@link Anomaly} mode throws where a result or gradient is not finite: an
 * {@link ArithmeticException} to callers, its own type inside the engine, so that an
 * {@code ArithmeticException} of the user's own code (an integer division by zero in a user-defined
 * op's backward or in a function under {@link GradCheck}) is never taken for one.
 */
final class NonFiniteException extends ArithmeticException {
    private static final long serialVersionUID = 1L;

    NonFiniteException(String message) {
        super(message);
    }
}
