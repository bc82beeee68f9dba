/**
 * jgrad's automatic differentiation core: scalar {@link io.github.jgrad.autodiff.Value} and n-d
 * {@link io.github.jgrad.autodiff.Tensor} nodes (values on a tape per thread, tensors in a graph
 * ordered at {@code backward()}), reverse-mode {@code backward()} (and
 * gradients of gradients for tensors), grad mode ({@link io.github.jgrad.autodiff.GradMode}), matrix
 * products on plain arrays ({@link io.github.jgrad.autodiff.Blas}), gradient checking
 * ({@link io.github.jgrad.autodiff.GradCheck}),
 * anomaly detection ({@link io.github.jgrad.autodiff.Anomaly}), Graphviz export
 * ({@link io.github.jgrad.autodiff.GraphViz}) and explain mode, the chain rule written out step by step
 * ({@link io.github.jgrad.autodiff.Explain}).
 */
package io.github.jgrad.autodiff;
