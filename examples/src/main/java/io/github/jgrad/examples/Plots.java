package io.github.jgrad.examples;

import io.github.jgrad.autodiff.GradMode;
import io.github.jgrad.autodiff.Tensor;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * PNG plots with XChart (headless): a loss curve, learning curves, a classifier's decision regions
 * over its data, and a confusion matrix.
 */
public final class Plots {
    private static final Color[] CLASS_COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c)};

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /** Writes the loss per step (or epoch) as a line chart. */
    public static Path lossCurve(Path png, String title, List<Double> losses) {
        XYChart chart = new XYChartBuilder().width(640).height(400).title(title).xAxisTitle("step")
                .yAxisTitle("loss").build();
        double[] x = new double[losses.size()];
        double[] y = new double[losses.size()];
        for (int i = 0; i < x.length; i++) {
            x[i] = i;
            y[i] = losses.get(i);
        }
        XYSeries s = chart.addSeries("loss", x, y);
        s.setMarker(SeriesMarkers.NONE);
        chart.getStyler().setLegendVisible(false);
        return write(chart, png);
    }

    /**
     * Colours a grid over the data's bounding box by {@code classify}, which maps an (n, 2) tensor of
     * points to their n class indices, then draws the data points on top, coloured by their labels.
     */
    public static Path decisionBoundary(Path png, String title, Datasets.Labelled data,
                                        Function<Tensor, Tensor> classify) {
        double[] xs = data.inputs().toArray();
        double minX = Double.POSITIVE_INFINITY;
        double maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY;
        double maxY = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < xs.length; i += 2) {
            minX = Math.min(minX, xs[i]);
            maxX = Math.max(maxX, xs[i]);
            minY = Math.min(minY, xs[i + 1]);
            maxY = Math.max(maxY, xs[i + 1]);
        }
        double padX = 0.15 * (maxX - minX);
        double padY = 0.15 * (maxY - minY);
        int steps = 120;
        double[] grid = new double[2 * steps * steps];
        for (int i = 0; i < steps; i++) {
            for (int j = 0; j < steps; j++) {
                grid[2 * (i * steps + j)] = minX - padX + (maxX - minX + 2 * padX) * j / (steps - 1);
                grid[2 * (i * steps + j) + 1] = minY - padY + (maxY - minY + 2 * padY) * i / (steps - 1);
            }
        }
        double[] gridClass;
        try (GradMode.Scope ignored = GradMode.disabled()) {
            gridClass = classify.apply(Tensor.of(grid, steps * steps, 2)).toArray();
        }
        XYChart chart = new XYChartBuilder().width(560).height(560).title(title).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendVisible(false);
        chart.getStyler().setMarkerSize(6);
        int classes = 0;
        for (int c : data.labels()) {
            classes = Math.max(classes, c + 1);
        }
        for (int c = 0; c < classes; c++) {
            List<Double> px = new ArrayList<>();
            List<Double> py = new ArrayList<>();
            for (int k = 0; k < gridClass.length; k++) {
                if (gridClass[k] == c) {
                    px.add(grid[2 * k]);
                    py.add(grid[2 * k + 1]);
                }
            }
            if (!px.isEmpty()) {
                XYSeries region = chart.addSeries("region " + c, px, py);
                region.setMarker(SeriesMarkers.SQUARE);
                Color col = CLASS_COLORS[c % CLASS_COLORS.length];
                region.setMarkerColor(new Color(col.getRed(), col.getGreen(), col.getBlue(), 40));
            }
        }
        for (int c = 0; c < classes; c++) {
            List<Double> px = new ArrayList<>();
            List<Double> py = new ArrayList<>();
            for (int k = 0; k < data.labels().length; k++) {
                if (data.labels()[k] == c) {
                    px.add(xs[2 * k]);
                    py.add(xs[2 * k + 1]);
                }
            }
            XYSeries points = chart.addSeries("class " + c, px, py);
            points.setMarker(SeriesMarkers.CIRCLE);
            points.setMarkerColor(CLASS_COLORS[c % CLASS_COLORS.length]);
        }
        return write(chart, png);
    }

    /** Writes several curves per epoch (train and validation loss, accuracy) as lines on one chart. */
    public static Path curves(Path png, String title, String yAxis, Map<String, List<Double>> series) {
        XYChart chart = new XYChartBuilder().width(640).height(400).title(title).xAxisTitle("epoch")
                .yAxisTitle(yAxis).build();
        for (Map.Entry<String, List<Double>> e : series.entrySet()) {
            double[] x = new double[e.getValue().size()];
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = i + 1;
                y[i] = e.getValue().get(i);
            }
            chart.addSeries(e.getKey(), x, y).setMarker(SeriesMarkers.NONE);
        }
        return write(chart, png);
    }

    /** Writes a confusion matrix (counts[true][predicted]) as a heat map with the counts shown. */
    public static Path confusion(Path png, String title, int[][] counts) {
        HeatMapChart chart = new HeatMapChartBuilder().width(560).height(520).title(title).xAxisTitle("predicted")
                .yAxisTitle("true").build();
        int k = counts.length;
        int[] classes = new int[k];
        int[][] heat = new int[k][k]; // [x = predicted][y = true]
        for (int t = 0; t < k; t++) {
            classes[t] = t;
            for (int p = 0; p < k; p++) {
                heat[p][t] = counts[t][p];
            }
        }
        chart.getStyler().setShowValue(true).setRangeColors(new Color[] {Color.WHITE, CLASS_COLORS[0]})
                .setLegendVisible(false);
        chart.addSeries("counts", classes, classes, heat);
        return write(chart, png);
    }

    private static Path write(Chart<?, ?> chart, Path png) {
        try {
            Path dir = png.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            String name = png.getFileName().toString();
            String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
            BitmapEncoder.saveBitmap(chart, dir.resolve(base).toString(), BitmapEncoder.BitmapFormat.PNG);
            return dir.resolve(base + ".png");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write plot " + png, e);
        }
    }
}
