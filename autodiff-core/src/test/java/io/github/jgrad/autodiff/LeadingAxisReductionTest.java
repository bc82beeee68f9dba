package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sums and maxima over a leading axis (column sums) run in memory order, four rows per pass, on two
 * threads for large inputs: bit for bit what a plain row-after-row loop gives, NaN and -0.0 included.
 * Maxima along a row equal the sequential loop too.
 */
class LeadingAxisReductionTest {
    @Test
    void columnSumsAndMaximaEqualAPlainLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        int[][] shapes = {{1, 1}, {1, 7}, {2, 3}, {3, 5}, {4, 9}, {5, 2}, {7, 13}, {9, 1}, {300, 301}, {1001, 70}};
        for (int[] s : shapes) {
            int rows = s[0];
            int cols = s[1];
            double[] d = new double[rows * cols];
            for (int i = 0; i < d.length; i++) {
                int kind = r.nextInt(40);
                d[i] = kind == 0 ? Double.NaN : kind == 1 ? -0.0 : kind == 2 ? 1e300 : r.nextDouble(-1, 1) * 1e3;
            }
            Tensor t = Tensor.of(d, rows, cols);
            double[] sums = t.sum(0, false).toArray();
            double[] maxima = t.max(0, false).toArray();
            for (int c = 0; c < cols; c++) {
                double sum = d[c];
                double max = d[c];
                for (int k = 1; k < rows; k++) {
                    sum += d[k * cols + c];
                    max = Math.max(max, d[k * cols + c]);
                }
                String at = rows + "x" + cols + ", column " + c;
                assertEquals(Double.doubleToRawLongBits(sum), Double.doubleToRawLongBits(sums[c]), at + ": sum");
                assertEquals(Double.doubleToRawLongBits(max), Double.doubleToRawLongBits(maxima[c]), at + ": max");
            }
        }
    }

    @Test
    void rowMaximaEqualAPlainLoopBitForBit() {
        SplittableRandom r = new SplittableRandom(12);
        for (int cols = 1; cols <= 13; cols++) {
            int rows = 200;
            double[] d = new double[rows * cols];
            for (int i = 0; i < d.length; i++) {
                int kind = r.nextInt(30);
                d[i] = kind == 0 ? Double.NaN : kind == 1 ? -0.0 : kind == 2 ? 0.0 : kind == 3 ? Double.NEGATIVE_INFINITY
                        : r.nextDouble(-1, 1);
            }
            double[] maxima = Tensor.of(d, rows, cols).max(1, false).toArray();
            for (int row = 0; row < rows; row++) {
                double max = d[row * cols];
                for (int c = 1; c < cols; c++) {
                    max = Math.max(max, d[row * cols + c]); // the sequential order: NaN wins, +0 over -0
                }
                assertEquals(Double.doubleToRawLongBits(max), Double.doubleToRawLongBits(maxima[row]),
                        "row " + row + " of " + cols + " columns");
            }
        }
        double[] zeros = {-0.0, -0.0, -0.0, -0.0, 0.0, -0.0};
        assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(Tensor.of(zeros, 1, 6).max(1, false).item()));
    }
}
