/**
 * jgrad's automatic differentiation core: scalar {@link io.github.jgrad.autodiff.Value} nodes on a
 * tape, reverse-mode {@code backward()}, gradient checking ({@link io.github.jgrad.autodiff.GradCheck}),
 * anomaly detection ({@link io.github.jgrad.autodiff.Anomaly}), Graphviz export
 * ({@link io.github.jgrad.autodiff.GraphViz}) and explain mode, the chain rule written out step by step
 * ({@link io.github.jgrad.autodiff.Explain}).
 */
package io.github.jgrad.autodiff;
