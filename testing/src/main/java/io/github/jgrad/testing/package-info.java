/**
 * Property testing for code built on jgrad, from plain JUnit 5 or any test framework: random
 * differentiable graphs over {@link io.github.jgrad.autodiff.Value} ({@link io.github.jgrad.testing.ValueGraphs})
 * and {@link io.github.jgrad.autodiff.Tensor} ({@link io.github.jgrad.testing.TensorGraphs}), user-defined
 * ops among them, a seeded runner ({@link io.github.jgrad.testing.Property}) and a shrinker that
 * reports the smallest failing graph.
 */
package io.github.jgrad.testing;
