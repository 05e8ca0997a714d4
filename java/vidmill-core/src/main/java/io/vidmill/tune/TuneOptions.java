package io.vidmill.tune;

/**
 * What the user fixed; null fields are the tuner's to choose (and to change during the run).
 *
 * @param workers clips decoded at once
 * @param threads decoder threads per clip (0 = FFmpeg's own choice)
 * @param fetchConcurrency clips being fetched at once
 * @param maxBytesInFlight cap on fetched bytes held in memory
 */
public record TuneOptions(Integer workers, Integer threads, Integer fetchConcurrency, Long maxBytesInFlight) {
  public static final TuneOptions AUTO = new TuneOptions(null, null, null, null);

  public TuneOptions {
    if (workers != null && workers < 1) throw new IllegalArgumentException("workers must be >= 1");
    if (threads != null && threads < 0) throw new IllegalArgumentException("threads must be >= 0");
    if (fetchConcurrency != null && fetchConcurrency < 1) throw new IllegalArgumentException("fetch concurrency must be >= 1");
    if (maxBytesInFlight != null && maxBytesInFlight < 1) throw new IllegalArgumentException("max bytes in flight must be >= 1");
  }

  /** Everything fixed: the same settings from start to end, as a benchmark's fixed rows need. */
  public static TuneOptions fixed(int workers, int threads, int fetchConcurrency, long maxBytesInFlight) {
    return new TuneOptions(workers, threads, fetchConcurrency, maxBytesInFlight);
  }

  public TuneOptions withWorkers(Integer n) {
    return new TuneOptions(n, threads, fetchConcurrency, maxBytesInFlight);
  }

  public TuneOptions withThreads(Integer n) {
    return new TuneOptions(workers, n, fetchConcurrency, maxBytesInFlight);
  }

  public TuneOptions withFetchConcurrency(Integer n) {
    return new TuneOptions(workers, threads, n, maxBytesInFlight);
  }

  public TuneOptions withMaxBytesInFlight(Long n) {
    return new TuneOptions(workers, threads, fetchConcurrency, n);
  }
}
