package io.vidmill.shard;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One of n disjoint parts of a manifest: a clip belongs to shard {@code hash(key) mod n}, so all
 * shards together cover the manifest exactly once, without a coordinator.
 *
 * @param source how the shard was chosen, for the log ("--shard", "Slurm array", ...)
 */
public record Shard(int index, int count, String source) {
  public static final Shard ALL = new Shard(0, 1, "no sharding");

  public Shard {
    if (count < 1 || index < 0 || index >= count) {
      throw new IllegalArgumentException("shard " + index + "/" + count + ": need 0 <= i < n");
    }
  }

  public boolean contains(ClipHash h) {
    return count == 1 || Long.remainderUnsigned(h.hi(), count) == index;
  }

  public boolean contains(String key) {
    return contains(ClipHash.of(key));
  }

  /** "3/16". */
  public String label() {
    return index + "/" + count;
  }

  /** A file-name-safe "00003-of-00016". */
  public String fileLabel() {
    return String.format("%05d-of-%05d", index, count);
  }

  /** What the files of this shard end with: "" unsharded, else "-00003-of-00016". */
  public String fileSuffix() {
    return count == 1 ? "" : "-" + fileLabel();
  }

  /** Parses "i/n". */
  public static Shard parse(String spec) {
    String[] parts = spec.strip().split("/");
    if (parts.length != 2) throw new IllegalArgumentException("--shard wants i/n, e.g. 0/8; got " + spec);
    try {
      return new Shard(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()), "--shard " + spec);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--shard wants i/n, e.g. 0/8; got " + spec);
    }
  }

  /**
   * The shard a scheduler gave this process, from its environment:
   * <ul>
   *   <li>Slurm job arrays: SLURM_ARRAY_TASK_ID, with SLURM_ARRAY_TASK_COUNT (and
   *       SLURM_ARRAY_TASK_MIN, default 0), or SLURM_ARRAY_TASK_MIN and _MAX;</li>
   *   <li>Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX, with n from {@code shards} (the Job's
   *       completions, which Kubernetes does not put in the environment) or VIDMILL_SHARDS.</li>
   * </ul>
   */
  public static Optional<Shard> fromEnvironment(Function<String, String> env, Integer shards) {
    String task = env.apply("SLURM_ARRAY_TASK_ID");
    if (task != null && !task.isBlank()) {
      int id = Integer.parseInt(task.strip());
      String min = env.apply("SLURM_ARRAY_TASK_MIN");
      String max = env.apply("SLURM_ARRAY_TASK_MAX");
      String count = env.apply("SLURM_ARRAY_TASK_COUNT");
      int lo = min == null || min.isBlank() ? 0 : Integer.parseInt(min.strip());
      int n;
      if (count != null && !count.isBlank()) n = Integer.parseInt(count.strip());
      else if (max != null && !max.isBlank()) n = Integer.parseInt(max.strip()) - lo + 1;
      else throw new IllegalArgumentException("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT "
          + "nor SLURM_ARRAY_TASK_MAX: use --shard i/n");
      return Optional.of(new Shard(id - lo, n, "Slurm array (SLURM_ARRAY_TASK_ID=" + id + ", tasks "
          + lo + ".." + (lo + n - 1) + ")"));
    }
    String index = env.apply("JOB_COMPLETION_INDEX");
    if (index != null && !index.isBlank()) {
      Integer n = shards;
      String from = "--shards";
      if (n == null && env.apply("VIDMILL_SHARDS") != null) {
        n = Integer.parseInt(env.apply("VIDMILL_SHARDS").strip());
        from = "VIDMILL_SHARDS";
      }
      if (n == null) {
        throw new IllegalArgumentException("JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but the number of "
            + "shards is not: pass --shards N (the Job's completions) or set VIDMILL_SHARDS");
      }
      int i = Integer.parseInt(index.strip());
      return Optional.of(new Shard(i, n, "Kubernetes Indexed Job (JOB_COMPLETION_INDEX=" + i + ", " + from + "=" + n + ")"));
    }
    return Optional.empty();
  }

  public static Optional<Shard> fromEnvironment(Map<String, String> env, Integer shards) {
    return fromEnvironment(env::get, shards);
  }
}
