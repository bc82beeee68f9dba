/**
 * The engine's internals: shape arithmetic ({@link io.github.jgrad.autodiff.internal.Shapes}) and the
 * kernels, flat loops over primitive arrays ({@link io.github.jgrad.autodiff.internal.Kernels},
 * {@link io.github.jgrad.autodiff.internal.MatMul}). Not public API: nothing here may change
 * compatibly, and nothing here can refer to {@code Tensor} or {@code Value} (a test compiles this
 * package on its own to hold that layering).
 */
package io.github.jgrad.autodiff.internal;
