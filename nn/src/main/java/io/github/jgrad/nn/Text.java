package io.github.jgrad.nn;

/** Messages' pieces, written as the core writes them. */
final class Text {
    private Text() {
    }

    /** A shape as the core's errors print it: {@code (2, 3)}, {@code (4)}, {@code ()}. */
    static String shape(int[] shape) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }
}
