package io.vidmill.spark;

import io.vidmill.pipeline.Engine;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engines of this executor JVM: one for every set of options in use (normally one), made by
 * the first task that needs it and kept for the JVM's life, so that the native library loads
 * once, connections and buffers are reused across tasks, and the decode threads of all tasks
 * together never exceed the executor's cores.
 */
final class ExecutorEngines {
  private static final Logger LOG = LoggerFactory.getLogger(ExecutorEngines.class);
  private static final ConcurrentHashMap<Engine.Options, Engine> ENGINES = new ConcurrentHashMap<>();

  private ExecutorEngines() {}

  static Engine forTask(ClipOptions options) {
    int cores = executorCores();
    return ENGINES.computeIfAbsent(options.engineOptions(cores), o -> {
      Engine e = new Engine(o);
      LOG.info("vidmill: engine with {} decode threads (executor cores), {} fetches and {} MB in flight; "
              + "each task decodes spark.task.cpus clips at once", cores, e.options().fetchConcurrency(),
          e.options().maxBytesInFlight() >> 20);
      return e;
    });
  }

  /** spark.executor.cores, else (local mode, or a cluster manager that gives the whole node) the CPUs this JVM may use. */
  static int executorCores() {
    SparkEnv env = SparkEnv.get();
    int available = Runtime.getRuntime().availableProcessors();
    if (env == null) return available;
    return Math.max(1, env.conf().getInt("spark.executor.cores", available));
  }
}
