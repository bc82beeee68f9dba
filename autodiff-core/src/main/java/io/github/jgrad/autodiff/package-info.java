/**
 * jgrad's automatic differentiation core: scalar {@link io.github.jgrad.autodiff.Value} nodes on a
 * tape, reverse-mode {@code backward()}, gradient checking ({@link io.github.jgrad.autodiff.GradCheck}),
 * anomaly detection ({@link io.github.jgrad.autodiff.Anomaly}) and Graphviz export
 * ({@link io.github.jgrad.autodiff.GraphViz}).
 */
package io.github.jgrad.autodiff;
