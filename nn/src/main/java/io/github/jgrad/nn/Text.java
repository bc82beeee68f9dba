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

    /**
     * A name for a message: quoted, its control characters and surrogates as '?', cut after 40 of
     * more than 60 characters ({@code 'abc...' (70000 characters)}); {@code null} unquoted.
     */
    static String name(String name) {
        if (name == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < name.length() && (name.length() <= 60 || i < 40); i++) {
            char c = name.charAt(i);
            sb.append(Character.isISOControl(c) || Character.isSurrogate(c) ? '?' : c);
        }
        return name.length() <= 60 ? sb.append("'").toString() : sb + "...' (" + name.length() + " characters)";
    }
}
