/**
 * Training jgrad models on Apache Spark: {@link io.github.jgrad.spark.SparkTrainer} computes each
 * step's gradient across a {@code JavaRDD}'s partitions and sums it by a tree, in partition order.
 * Spark itself is a {@code provided} dependency: the cluster (or {@code spark-submit}) supplies it.
 */
package io.github.jgrad.spark;
