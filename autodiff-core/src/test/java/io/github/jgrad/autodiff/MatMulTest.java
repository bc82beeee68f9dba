package io.github.jgrad.autodiff;

import io.github.jgrad.autodiff.internal.Kernels;
import io.github.jgrad.autodiff.internal.MatMul;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Both matmul kernels against plain triple loops, at sizes around every block and split boundary. */
class MatMulTest {

    @Test
    void nativeOpenBlasLoadsOnLinuxX86() {
        if (System.getProperty("os.name").startsWith("Linux") && System.getProperty("os.arch").equals("amd64")
                && System.getProperty("jgrad.matmul") == null) {
            assertEquals("openblas", MatMul.kernel());
        }
    }

    @Test
    void onJdk22AndLaterLargeProductsReadTheArraysWithoutCopies() {
        if (MatMul.kernel().equals("openblas") && System.getProperty("jgrad.matmul") == null) {
            // the build puts CriticalGemm (META-INF/versions/22) on the tests' class path on JDK 22+
            assertEquals(Runtime.version().feature() < 22, MatMul.copiesOperands(), "JDK " + Runtime.version());
        }
    }

    @ParameterizedTest(name = "{0}x{2} @ {2}x{1}")
    @CsvSource({"1, 1, 1", "3, 5, 7", "31, 33, 32", "64, 64, 64", "129, 257, 513", "300, 2, 700", "2, 600, 3"})
    void kernelsAgreeWithTripleLoops(int n, int m, int k) {
        SplittableRandom r = new SplittableRandom(n * 31L + m * 7L + k);
        int ao = 3;
        int bo = 5;
        int co = 2;
        double[] a = new double[ao + n * k];
        double[] b = new double[bo + k * m];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextDouble(-1, 1);
        }
        double[] java = new double[co + n * m];
        double[] chosen = new double[co + n * m];
        Kernels.gemm(n, m, k, a, ao, b, bo, java, co);
        MatMul.gemm(n, m, k, a, ao, b, bo, chosen, co);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[ao + i * k + p] * b[bo + p * m + j];
                }
                assertEquals(s, java[co + i * m + j], 1e-12, "java kernel");
                assertEquals(s, chosen[co + i * m + j], 1e-12, MatMul.kernel() + " kernel");
            }
        }
        assertEquals(0.0, java[0], 0, "nothing written before the offset");
        assertEquals(0.0, chosen[1], 0);
    }

    @ParameterizedTest(name = "{0}x{2} @ {2}x{1}")
    @CsvSource({"1, 1, 1", "3, 5, 7", "40, 33, 50", "129, 70, 65"})
    void transposedOperandsInBothKernels(int n, int m, int k) {
        SplittableRandom r = new SplittableRandom(n + 100L * m + k);
        double[] a = new double[n * k];
        double[] b = new double[k * m];
        for (int i = 0; i < a.length; i++) {
            a[i] = r.nextDouble(-1, 1);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = r.nextDouble(-1, 1);
        }
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                double[] c = new double[n * m];
                Blas.gemm(ta, tb, n, m, k, a, b, c);
                double[] java = new double[n * m];
                Kernels.gemm(n, m, k, ta ? transposed(a, k, n) : a, 0, tb ? transposed(b, m, k) : b, 0, java, 0);
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < m; j++) {
                        double s = 0;
                        for (int p = 0; p < k; p++) {
                            double aip = ta ? a[p * n + i] : a[i * k + p];
                            double bpj = tb ? b[j * k + p] : b[p * m + j];
                            s += aip * bpj;
                        }
                        assertEquals(s, c[i * m + j], 1e-12, "ta=" + ta + " tb=" + tb);
                        assertEquals(s, java[i * m + j], 1e-12);
                    }
                }
            }
        }
    }

    /** The rows x cols matrix x, transposed. */
    private static double[] transposed(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = x[i * cols + j];
            }
        }
        return t;
    }
}
