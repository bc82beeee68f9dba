package io.github.jgrad.autodiff.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas;

/**
 * {@code cblas_dgemm} and {@code cblas_sgemm} on the Java arrays themselves, with no copy: a critical downcall of the
 * Foreign Function and Memory API (JDK 22+), which may pass heap arrays to native code because the
 * call is short and calls nothing back. Only in the multi-release jar's {@code META-INF/versions/22};
 * {@link MatMul} loads it by name and falls back to copying through native buffers where it is absent
 * or cannot bind.
 */
public final class CriticalGemm implements MatMul.Native {
    private static final ValueLayout.OfInt I = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfDouble D = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout A = ValueLayout.ADDRESS;

    private final MethodHandle dgemm;
    private final MethodHandle sgemm;

    /**
     * Binds {@code cblas_dgemm} in the OpenBLAS that JavaCPP loaded; throws if it cannot. Restricted
     * methods, deliberately: the signature is cblas.h's, and the JVM warns unless native access is enabled.
     */
    @SuppressWarnings("restricted")
    public CriticalGemm() {
        Loader.load(openblas.class);
        String path = null;
        for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
            if (e.getKey().startsWith("openblas@") || e.getKey().equals("openblas")) {
                path = e.getValue();
            }
        }
        if (path == null) {
            throw new IllegalStateException("JavaCPP loaded no OpenBLAS library: " + Loader.getLoadedLibraries().keySet());
        }
        SymbolLookup library = SymbolLookup.libraryLookup(Path.of(path), Arena.global());
        dgemm = Linker.nativeLinker().downcallHandle(find(library, "cblas_dgemm"),
                FunctionDescriptor.ofVoid(I, I, I, I, I, I, D, A, I, A, I, D, A, I), Linker.Option.critical(true));
        sgemm = Linker.nativeLinker().downcallHandle(find(library, "cblas_sgemm"),
                FunctionDescriptor.ofVoid(I, I, I, I, I, I, F, A, I, A, I, F, A, I), Linker.Option.critical(true));
    }

    private static MemorySegment find(SymbolLookup library, String name) {
        return library.find(name).orElseThrow(() -> new IllegalStateException("no " + name + " in the loaded OpenBLAS"));
    }

    @Override
    public void gemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, double[] a, int ao,
                     double[] b, int bo, double[] c, int co) {
        try {
            dgemm.invokeExact(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                    tb ? openblas.CblasTrans : openblas.CblasNoTrans, n, m, k, 1.0, slice(a, ao), ta ? n : k,
                    slice(b, bo), tb ? k : m, accumulate ? 1.0 : 0.0, slice(c, co), m);
        } catch (Throwable e) { // invokeExact declares Throwable; cblas_dgemm throws nothing
            throw new IllegalStateException("cblas_dgemm failed", e);
        }
    }

    @Override
    public void sgemm(boolean ta, boolean tb, boolean accumulate, int n, int m, int k, float[] a, int ao,
                      float[] b, int bo, float[] c, int co) {
        try {
            sgemm.invokeExact(openblas.CblasRowMajor, ta ? openblas.CblasTrans : openblas.CblasNoTrans,
                    tb ? openblas.CblasTrans : openblas.CblasNoTrans, n, m, k, 1.0f, slice(a, ao), ta ? n : k,
                    slice(b, bo), tb ? k : m, accumulate ? 1.0f : 0.0f, slice(c, co), m);
        } catch (Throwable e) { // invokeExact declares Throwable; cblas_sgemm throws nothing
            throw new IllegalStateException("cblas_sgemm failed", e);
        }
    }

    private static MemorySegment slice(float[] x, int offset) {
        MemorySegment s = MemorySegment.ofArray(x);
        return offset == 0 ? s : s.asSlice(offset * 4L);
    }

    private static MemorySegment slice(double[] x, int offset) {
        MemorySegment s = MemorySegment.ofArray(x);
        return offset == 0 ? s : s.asSlice(offset * 8L);
    }
}
