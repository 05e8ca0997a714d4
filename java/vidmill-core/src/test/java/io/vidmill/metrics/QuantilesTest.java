package io.vidmill.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** p50/p99 of metrics.json: estimated from a histogram's buckets the way PromQL's histogram_quantile does. */
class QuantilesTest {
  private static final List<double[]> BUCKETS = List.of(new double[] {1, 10}, new double[] {2, 30},
      new double[] {4, 40}, new double[] {Double.POSITIVE_INFINITY, 40});

  @Test
  void interpolatesInsideTheBucketThatHoldsTheRank() {
    assertEquals(1.5, RunMetrics.Quantiles.fromBuckets(BUCKETS, 0.5), 1e-9); // rank 20: halfway through (1, 2]
    assertEquals(0.5, RunMetrics.Quantiles.fromBuckets(BUCKETS, 0.125), 1e-9); // rank 5: halfway through (0, 1]
    assertEquals(4.0, RunMetrics.Quantiles.fromBuckets(BUCKETS, 1.0), 1e-9);
  }

  @Test
  void inTheInfiniteBucketTheHighestFiniteBound() {
    List<double[]> b = List.of(new double[] {1, 1}, new double[] {Double.POSITIVE_INFINITY, 10});
    assertEquals(1.0, RunMetrics.Quantiles.fromBuckets(b, 0.99), 1e-9);
  }

  @Test
  void noObservationsNoNumber() {
    assertThat(RunMetrics.Quantiles.fromBuckets(List.of(new double[] {1, 0},
        new double[] {Double.POSITIVE_INFINITY, 0}), 0.5)).isNaN();
    assertThat(RunMetrics.Quantiles.fromBuckets(List.of(), 0.5)).isNaN();
  }
}
