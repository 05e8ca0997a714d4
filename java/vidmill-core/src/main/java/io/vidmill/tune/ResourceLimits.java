package io.vidmill.tune;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * What this process may use: CPUs and memory, as the kernel enforces them. Docker, Kubernetes,
 * Slurm and systemd limit a process through its cgroup (a CPU quota, memory.max) without
 * changing the number of CPUs the machine shows, so the cgroup files are read here, for cgroup
 * v2 and v1, at every level from the process's own group up to the root of the hierarchy (a
 * limit on a parent binds its children too). The CPU affinity mask (taskset, cpusets) comes
 * from {@link Runtime#availableProcessors()}.
 *
 * @param cpus CPUs the process can keep busy: the smallest of the affinity mask and every
 *     quota on the path (a quota of 150000/100000 is 1.5)
 * @param cpuSource what set {@code cpus}, for people: "cgroup v2 cpu.max 100000/100000 at /x"
 * @param memoryBytes bytes the process may use: the smallest memory limit on the path, or the
 *     machine's physical memory
 * @param memorySource what set {@code memoryBytes}
 * @param memoryGroup the cgroup directory whose memory use counts (the innermost one with the
 *     memory controller), or null: then the resident set of this process is used
 */
public record ResourceLimits(double cpus, String cpuSource, long memoryBytes, String memorySource,
                             String memoryGroup) {

  /** This process's limits. */
  public static ResourceLimits detect() {
    long physical = physicalMemory();
    return detect(ResourceLimits::read, Runtime.getRuntime().availableProcessors(), physical);
  }

  /** The same from a view of the file system (absolute path to content, empty when absent): tests fake /proc and /sys. */
  static ResourceLimits detect(Function<String, Optional<String>> files, int affinityCpus, long physicalMemory) {
    double cpus = affinityCpus;
    String cpuSource = affinityCpus + " CPUs in the affinity mask";
    long memory = physicalMemory;
    String memorySource = "physical memory";
    String usedFile = null;
    List<Mount> mounts = mounts(files);
    for (Group g : groups(files)) {
      for (Mount m : mounts) {
        if (!m.serves(g)) continue;
        for (String dir : m.pathsUpFrom(g.path())) {
          if (m.v2) {
            Optional<double[]> q = files.apply(dir + "/cpu.max").flatMap(ResourceLimits::parseCpuMax);
            // <=: the JVM's CPU count (the affinity mask) already follows a quota; credit the quota
            if (q.isPresent() && q.get()[0] / q.get()[1] <= cpus) {
              cpus = q.get()[0] / q.get()[1];
              cpuSource = String.format(Locale.ROOT, "cgroup v2 cpu.max %.0f/%.0f", q.get()[0], q.get()[1]);
            }
            Optional<Long> mem = files.apply(dir + "/memory.max").flatMap(ResourceLimits::parseBytes);
            if (mem.isPresent() && mem.get() < memory) {
              memory = mem.get();
              memorySource = "cgroup v2 memory.max";
            }
            if (usedFile == null && files.apply(dir + "/memory.current").isPresent()) usedFile = dir;
          } else {
            if (m.controllers.contains("cpu")) {
              Optional<Long> quota = files.apply(dir + "/cpu.cfs_quota_us").flatMap(ResourceLimits::parseBytes);
              Optional<Long> period = files.apply(dir + "/cpu.cfs_period_us").flatMap(ResourceLimits::parseBytes);
              if (quota.isPresent() && period.isPresent() && quota.get() > 0 && period.get() > 0
                  && (double) quota.get() / period.get() <= cpus) {
                cpus = (double) quota.get() / period.get();
                cpuSource = "cgroup v1 cpu.cfs_quota_us " + quota.get() + "/" + period.get();
              }
            }
            if (m.controllers.contains("memory")) {
              Optional<Long> mem = files.apply(dir + "/memory.limit_in_bytes").flatMap(ResourceLimits::parseBytes);
              if (mem.isPresent() && mem.get() < memory) {
                memory = mem.get();
                memorySource = "cgroup v1 memory.limit_in_bytes";
              }
              if (usedFile == null && files.apply(dir + "/memory.usage_in_bytes").isPresent()) usedFile = dir;
            }
          }
        }
      }
    }
    return new ResourceLimits(cpus, cpuSource, memory, memorySource, usedFile);
  }

  /** Whole CPUs worth a decoder each: 1.5 CPUs of quota keep two decoders busy part of the time. */
  public int wholeCpus() {
    return Math.max(1, (int) Math.ceil(cpus - 0.25));
  }

  /**
   * Bytes the process's group uses now, as the OOM killer sees them: the cgroup's count minus
   * the inactive file cache the kernel reclaims first (what kubelet calls the working set;
   * reading many clips fills the page cache, which is not pressure). The resident set of this
   * process where there is no group.
   */
  public long memoryUsed() {
    return memoryGroup == null ? residentBytes() : workingSet(ResourceLimits::read, memoryGroup);
  }

  static long workingSet(Function<String, Optional<String>> files, String dir) {
    boolean v2 = files.apply(dir + "/memory.current").isPresent();
    Optional<Long> used = files.apply(dir + (v2 ? "/memory.current" : "/memory.usage_in_bytes"))
        .flatMap(ResourceLimits::parseBytes);
    if (used.isEmpty()) return residentBytes();
    long inactive = 0;
    String key = v2 ? "inactive_file" : "total_inactive_file";
    for (String line : files.apply(dir + "/memory.stat").orElse("").split("\n")) {
      String[] f = line.trim().split("\\s+");
      if (f.length == 2 && f[0].equals(key)) inactive = parseBytes(f[1]).orElse(0L);
    }
    return Math.max(0, used.get() - inactive);
  }

  /** The resident set of this process, from /proc/self/statm; 0 when unknown. */
  public static long residentBytes() {
    Optional<String> statm = read("/proc/self/statm");
    if (statm.isEmpty()) return 0;
    String[] f = statm.get().trim().split("\\s+");
    try {
      return Long.parseLong(f[1]) * 4096;
    } catch (RuntimeException e) {
      return 0;
    }
  }

  public String describe() {
    return String.format(Locale.ROOT, "%s %s (%s), %d MB memory (%s)",
        cpus == Math.rint(cpus) ? String.valueOf((long) cpus) : String.format(Locale.ROOT, "%.2f", cpus),
        cpus == 1 ? "CPU" : "CPUs", cpuSource, memoryBytes >> 20, memorySource);
  }

  // ---- cgroup files ------------------------------------------------------------------------

  /** One line of /proc/self/cgroup: v2 has id 0 and no controllers. */
  record Group(boolean v2, List<String> controllers, String path) {}

  /** A cgroup file system mount from /proc/self/mountinfo. */
  record Mount(boolean v2, List<String> controllers, String root, String mountPoint) {
    boolean serves(Group g) {
      if (v2 != g.v2) return false;
      return v2 || g.controllers.stream().anyMatch(controllers::contains);
    }

    /** The directories of the group and its ancestors under this mount, innermost first. */
    List<String> pathsUpFrom(String groupPath) {
      // inside a cgroup namespace the group path is relative to the mount's root already
      String rel = groupPath;
      if (!root.equals("/") && rel.startsWith(root)) rel = rel.substring(root.length());
      List<String> out = new ArrayList<>();
      String p = rel.isEmpty() ? "/" : rel;
      while (true) {
        out.add(p.equals("/") ? mountPoint : mountPoint + p);
        if (p.equals("/")) break;
        int slash = p.lastIndexOf('/');
        p = slash <= 0 ? "/" : p.substring(0, slash);
      }
      return out;
    }
  }

  static List<Group> groups(Function<String, Optional<String>> files) {
    List<Group> out = new ArrayList<>();
    for (String line : files.apply("/proc/self/cgroup").orElse("").split("\n")) {
      String[] f = line.split(":", 3);
      if (f.length < 3) continue;
      boolean v2 = f[0].equals("0") && f[1].isEmpty();
      out.add(new Group(v2, v2 ? List.of() : List.of(f[1].split(",")), f[2].trim()));
    }
    return out;
  }

  static List<Mount> mounts(Function<String, Optional<String>> files) {
    List<Mount> out = new ArrayList<>();
    for (String line : files.apply("/proc/self/mountinfo").orElse("").split("\n")) {
      // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
      int dash = line.indexOf(" - ");
      if (dash < 0) continue;
      String[] left = line.substring(0, dash).split(" ");
      String[] right = line.substring(dash + 3).split(" ");
      if (left.length < 5 || right.length < 1) continue;
      String type = right[0];
      if (type.equals("cgroup2")) {
        out.add(new Mount(true, List.of(), unescape(left[3]), unescape(left[4])));
      } else if (type.equals("cgroup") && right.length >= 3) {
        List<String> ctl = List.of(right[2].split(","));
        out.add(new Mount(false, ctl, unescape(left[3]), unescape(left[4])));
      }
    }
    return out;
  }

  private static String unescape(String s) {
    return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
  }

  /** "max 100000" (no limit) or "150000 100000" (1.5 CPUs). */
  static Optional<double[]> parseCpuMax(String s) {
    String[] f = s.trim().split("\\s+");
    if (f.length < 1 || f[0].equals("max")) return Optional.empty();
    try {
      double quota = Double.parseDouble(f[0]);
      double period = f.length > 1 ? Double.parseDouble(f[1]) : 100000;
      return quota > 0 && period > 0 ? Optional.of(new double[] {quota, period}) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** A byte count; "max", negative values and v1's "no limit" (close to 2^63) are no limit. */
  static Optional<Long> parseBytes(String s) {
    String t = s.trim();
    if (t.equals("max") || t.isEmpty()) return Optional.empty();
    try {
      long v = Long.parseLong(t);
      return v < 0 || v >= (1L << 62) ? Optional.empty() : Optional.of(v);
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Optional<String> read(String path) {
    try {
      return Optional.of(Files.readString(Path.of(path)));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /**
   * The machine's memory, from /proc/meminfo: not through JMX, whose first use costs a run's
   * start some 30 ms (the cgroup limits are read above in either case).
   */
  private static long physicalMemory() {
    Optional<String> meminfo = read("/proc/meminfo");
    if (meminfo.isPresent()) {
      for (String line : meminfo.get().split("\n")) {
        if (line.startsWith("MemTotal:")) {
          try {
            return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
          } catch (NumberFormatException e) {
            break;
          }
        }
      }
    }
    return Runtime.getRuntime().maxMemory() * 4;
  }
}
