/**
 * Neural-network building blocks on top of {@code io.github.jgrad.autodiff}: layers, losses and
 * optimizers. This module is being built; see the README's roadmap.
 */
package io.github.jgrad.nn;
