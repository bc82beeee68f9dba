package io.github.jgrad.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The toy datasets at their smallest sizes, against scikit-learn's and numpy's linspace. */
class DatasetsTest {
    @Test
    void smallMoonsAndSpiralsAreFinite() {
        // sklearn.datasets.make_moons(2, shuffle=False): [[1, 0], [0, 0.5]] (linspace(0, pi, 1) is [0]); was NaN
        assertArrayEquals(new double[] {1, 0, 0, 0.5}, Datasets.moons(2, 0, 1).inputs().toArray(), 0);
        assertArrayEquals(new double[] {0, 0.5}, Datasets.moons(1, 0, 1).inputs().toArray(), 0);
        // three points: the upper moon's one at t = 0, the lower's two at t = 0 and pi
        assertArrayEquals(new double[] {1, 0, 0, 0.5, 2, 0.5 - Math.sin(Math.PI)},
                Datasets.moons(3, 0, 1).inputs().toArray(), 1e-15);
        // one point per class: radius 0 (linspace(0, 1, 1) is [0]); was NaN
        assertArrayEquals(new double[] {0, 0, 0, 0}, Datasets.spirals(1, 2, 1).inputs().toArray(), 0);
        assertEquals(0, Datasets.moons(0, 0.1, 1).inputs().numel());
    }

    @Test
    void negativeSizesAreNamed() {
        assertEquals("Datasets.moons: n must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> Datasets.moons(-1, 0, 1)).getMessage());
        assertEquals("Datasets.spirals: classes must be >= 0, got -2",
                assertThrows(IllegalArgumentException.class, () -> Datasets.spirals(3, -2, 1)).getMessage());
        assertEquals("Datasets.blobs: n must be >= 0, got -3",
                assertThrows(IllegalArgumentException.class, () -> Datasets.blobs(-3, 1)).getMessage());
    }
}
