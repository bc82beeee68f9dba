package io.github.jgrad.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Sums and maxima over a leading axis (column sums) run in memory order, four rows per pass, on two
 * threads for large inputs: bit for bit what a plain row-after-row loop gives, NaN and -0.0 included.
 * Maxima along a row equal the sequential loop too; float32 column sums are the plain loop in double
 * rounded once; a sum of everything split over two threads is the sequential pairwise sum.
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
    void float32ColumnSumsEqualAPlainLoopInDoubleRoundedOnce() {
        SplittableRandom r = new SplittableRandom(13);
        int[][] shapes = {{1, 5}, {3, 4}, {5, 3}, {9, 2}, {1001, 70}};
        for (int[] s : shapes) {
            float[] f = new float[s[0] * s[1]];
            for (int i = 0; i < f.length; i++) {
                f[i] = r.nextInt(40) == 0 ? -0.0f : (float) r.nextDouble(-1, 1) * 1e3f;
            }
            float[] sums = Tensor.of(f).reshape(s[0], s[1]).sum(0, false).toFloatArray();
            for (int c = 0; c < s[1]; c++) {
                double sum = f[c];
                for (int k = 1; k < s[0]; k++) {
                    sum += f[k * s[1] + c];
                }
                assertEquals((float) sum, sums[c], 0, s[0] + "x" + s[1] + ", column " + c);
            }
        }
    }

    @Test
    void aSumOfEverythingOnTwoThreadsEqualsTheSequentialPairwiseSum() {
        SplittableRandom r = new SplittableRandom(14);
        for (int n : new int[] {1 << 16, 200_003, 1 << 20}) { // at and above the size that splits
            double[] d = new double[n];
            float[] f = new float[n];
            for (int i = 0; i < n; i++) {
                d[i] = r.nextDouble(-1, 1) * Math.exp(r.nextDouble(-20, 20));
                f[i] = (float) d[i];
            }
            double expected = io.github.jgrad.autodiff.internal.Kernels.pairwiseSum(d, 0, n);
            assertEquals(Double.doubleToRawLongBits(expected), Double.doubleToRawLongBits(Tensor.of(d).sum().item()),
                    "float64, n = " + n);
            double[] widened = new double[n];
            for (int i = 0; i < n; i++) {
                widened[i] = f[i];
            }
            float single = (float) io.github.jgrad.autodiff.internal.Kernels.pairwiseSum(widened, 0, n);
            assertEquals(single, (float) Tensor.of(f).sum().item(), 0, "float32, n = " + n);
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
