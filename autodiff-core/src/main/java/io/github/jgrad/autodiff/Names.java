package io.github.jgrad.autodiff;

import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Locale;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Readable names and numbers for the values of one graph, as explain mode prints them.
 *
 * <ul>
 *   <li>A labelled value is called by its label. If several values share a label, the first one (in
 *       the order they were computed) keeps it and the later ones get {@code #2}, {@code #3}, ...
 *   <li>An unlabelled value is called by its op and a counter per op, in computation order:
 *       {@code mul1}, {@code add2}, {@code leaf1}.
 *   <li>A generated name that is also somebody's label, or the name of a value computed before it
 *       (op {@code exp2}'s first value and the 21st {@code exp}), gets {@code '} appended until it
 *       is not.
 *   <li>A constant (a plain double operand) is called by its number: {@code 2}, {@code 0.5}
 *       (see {@link #compact}). A label that reads as one of the constants gets {@code '} too.
 * </ul>
 *
 * <p>Tensors ({@link #ofTensors}) are named by the same rule (labels first, {@code #2} on a label's
 * later uses, then op name and counter), except that a generated name already taken is skipped.
 */
final class Names {
    /** Per value: its name, given in computation order. */
    private final String[] names;
    private final String format;
    private final int decimals;

    Names(Value[] order, int decimals) {
        int[] counter = new int[order.length]; // which use of its label a value is (1, 2, ...), or its op counter
        Set<String> labels = new HashSet<>();
        Set<String> constants = new HashSet<>();
        this.format = "%." + decimals + "f";
        this.decimals = decimals;
        Map<String, Integer> uses = new HashMap<>();
        Map<String, Integer> perOp = new HashMap<>(); // by name: two ops of one name share a counter
        for (int i = 0; i < order.length; i++) {
            Value v = order[i];
            if (v.isConstant()) {
                constants.add(compact(v.data()));
                continue;
            }
            String label = label(v);
            if (label != null) {
                labels.add(label);
                int use = uses.getOrDefault(label, 0) + 1;
                uses.put(label, use);
                counter[i] = use;
            } else {
                counter[i] = perOp.merge(v.op().name(), 1, Integer::sum);
            }
        }
        names = new String[order.length];
        Set<String> used = new HashSet<>(labels); // a label's first use keeps it
        for (int i = 0; i < order.length; i++) {
            Value v = order[i];
            String label = label(v);
            if (v.isConstant()) {
                names[i] = compact(v.data());
            } else if (label != null && counter[i] == 1 && !constants.contains(label)) {
                names[i] = label;
            } else {
                String name = label == null ? v.op().name() + counter[i]
                        : counter[i] == 1 ? label + "'" : label + "#" + counter[i];
                while (used.contains(name) || constants.contains(name)) { // exp21 of op exp2 and the 21st exp
                    name += "'";
                }
                used.add(name);
                names[i] = name;
            }
        }
    }

    /** The name of {@code order[i]}. */
    String name(int i) {
        return names[i];
    }

    /** {@code x} with the configured number of decimals, such as {@code -0.2755}. */
    String fixed(double x) {
        return String.format(Locale.ROOT, format, x);
    }

    /**
     * A constant as the user wrote it ({@code 2}, {@code 0.5}, {@code -1.5}, {@code 0.0001}) if that
     * takes at most 10 characters; otherwise to the configured decimals without trailing zeros, or,
     * where those decimals would show a nonzero constant as 0, in scientific notation with as many
     * significant digits ({@code 1e-09}, {@code 1.235e-07} with 4 decimals).
     */
    String compact(double x) {
        if (!Double.isFinite(x)) {
            return Double.toString(x);
        }
        String exact = BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
        if (exact.length() <= 10) {
            return exact;
        }
        String s = fixed(x);
        if (Double.parseDouble(s) == 0 && x != 0) {
            String e = String.format(Locale.ROOT, "%." + Math.max(0, decimals - 1) + "e", x);
            int at = e.indexOf('e');
            return stripZeros(e.substring(0, at)) + e.substring(at);
        }
        return stripZeros(s);
    }

    /** A decimal number without trailing zeros after its point (nor the point itself if nothing follows). */
    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        return s.substring(0, s.charAt(end - 1) == '.' ? end - 1 : end);
    }

    private static String label(Value v) {
        return label(v.label());
    }

    /**
     * A label as names use it: null if blank, with newlines, tabs and other control characters as
     * spaces, so that every report keeps a value's name on one line.
     */
    static String label(String label) {
        if (label == null || label.isBlank()) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (c < ' ' || c == 0x7f) {
                if (sb == null) {
                    sb = new StringBuilder(label);
                }
                sb.setCharAt(i, ' ');
            }
        }
        return sb == null ? label : sb.toString();
    }

    /**
     * {@code formula} (from the {@link Op} table) with its variables replaced: {@code a} and
     * {@code a_i} by {@code a}, {@code b} and {@code b_i} by {@code b}, {@code out} by {@code out}. A
     * replacement that is negative or contains a space is put in parentheses unless it is the whole
     * formula or already stands alone in parentheses, so that 1 - out^2 at out = -0.5 reads
     * 1 - (-0.5)^2 and sign(a) at a = -0.5 reads sign(-0.5).
     */
    static String substitute(String formula, String a, String b, String out) {
        StringBuilder sb = new StringBuilder(formula.length() + 16);
        int n = formula.length();
        int i = 0;
        while (i < n) {
            char c = formula.charAt(i);
            if (!Character.isLetter(c)) {
                sb.append(c);
                i++;
                continue;
            }
            int j = i + 1;
            while (j < n && (Character.isLetterOrDigit(formula.charAt(j)) || formula.charAt(j) == '_')) {
                j++;
            }
            String token = formula.substring(i, j);
            String replacement = token.equals("a") || token.equals("a_i") ? a
                    : token.equals("b") || token.equals("b_i") ? b
                    : token.equals("out") ? out
                    : null;
            if (replacement == null) {
                sb.append(token);
            } else {
                boolean alone = i == 0 && j == n
                        || i > 0 && j < n && formula.charAt(i - 1) == '(' && formula.charAt(j) == ')';
                sb.append(alone ? replacement : group(replacement));
            }
            i = j;
        }
        return sb.toString();
    }

    /** {@code s} in parentheses if it is negative or contains a space, so that it can be an operand. */
    static String group(String s) {
        return s.startsWith("-") || s.indexOf(' ') >= 0 ? "(" + s + ")" : s;
    }

    /**
     * Labels as given (a label used again gets #2, #3, as in scalar explain reports), other tensors
     * their op and a counter in the order given, a topological one (each tensor after those it is
     * computed from: leaf1, matmul1, add2), skipping names already used.
     */
    static Map<Tensor, String> ofTensors(Node[] order) {
        Map<Tensor, String> names = new IdentityHashMap<>();
        Set<String> used = new HashSet<>();
        Map<String, Integer> next = new HashMap<>(); // per label, the #k to try next: every lower one is taken
        for (Node node : order) {
            String label = label(((Tensor) node).label());
            if (label != null) {
                String name = label;
                if (!used.add(name)) {
                    int k = next.getOrDefault(label, 2);
                    do {
                        name = label + "#" + k++;
                    } while (!used.add(name));
                    next.put(label, k);
                }
                names.put((Tensor) node, name);
            }
        }
        Map<String, Integer> counters = new HashMap<>();
        for (Node node : order) {
            Tensor t = (Tensor) node;
            if (!names.containsKey(t)) {
                String name;
                do {
                    name = t.op().name() + counters.merge(t.op().name(), 1, Integer::sum);
                } while (!used.add(name));
                names.put(t, name);
            }
        }
        return names;
    }
}
