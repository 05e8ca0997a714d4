package io.vidmill.tune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** CPU and memory limits read from fake /proc and /sys trees of cgroup v1 and v2 machines. */
class ResourceLimitsTest {
  static final long GB = 1L << 30;

  static ResourceLimits detect(Map<String, String> files, int affinity) {
    return ResourceLimits.detect(p -> Optional.ofNullable(files.get(p)), affinity, 64 * GB);
  }

  /** A Kubernetes pod on cgroup v2: cpu: 1500m, memory: 2Gi, with a namespace root of "/". */
  @Test
  void cgroupV2QuotaAndMemoryMax() {
    Map<String, String> f = new HashMap<>();
    f.put("/proc/self/cgroup", "0::/\n");
    f.put("/proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
    f.put("/sys/fs/cgroup/cpu.max", "150000 100000\n");
    f.put("/sys/fs/cgroup/memory.max", "2147483648\n");
    f.put("/sys/fs/cgroup/memory.current", "1073741824\n");
    f.put("/sys/fs/cgroup/memory.stat", "anon 500000000\nfile 500000000\ninactive_file 400000000\n");
    ResourceLimits l = detect(f, 16);
    assertEquals(1.5, l.cpus());
    assertEquals(2, l.wholeCpus());
    assertThat(l.describe()).startsWith("1.50 CPUs (");
    assertThat(l.cpuSource()).contains("cgroup v2 cpu.max 150000/100000");
    assertEquals(2 * GB, l.memoryBytes());
    assertEquals("/sys/fs/cgroup", l.memoryGroup());
    assertEquals(GB - 400_000_000L, ResourceLimits.workingSet(p -> Optional.ofNullable(f.get(p)), l.memoryGroup()));
  }

  /** systemd-run -p CPUQuota=100% on a host: the limit sits two levels below the root. */
  @Test
  void cgroupV2LimitsOnAncestorsBindToo() {
    Map<String, String> f = new HashMap<>();
    f.put("/proc/self/cgroup", "0::/system.slice/run-u7.service\n");
    f.put("/proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    f.put("/sys/fs/cgroup/system.slice/run-u7.service/cpu.max", "max 100000\n");
    f.put("/sys/fs/cgroup/system.slice/run-u7.service/memory.max", "max\n");
    f.put("/sys/fs/cgroup/system.slice/cpu.max", "100000 100000\n");
    f.put("/sys/fs/cgroup/system.slice/memory.max", "4294967296\n");
    ResourceLimits l = detect(f, 8);
    assertEquals(1.0, l.cpus());
    assertEquals(4 * GB, l.memoryBytes());
    assertThat(l.describe()).startsWith("1 CPU (cgroup v2 cpu.max 100000/100000");
  }

  /** No limits at all: the affinity mask and the physical memory. */
  @Test
  void unlimitedV2FallsBackToAffinityAndPhysicalMemory() {
    Map<String, String> f = new HashMap<>();
    f.put("/proc/self/cgroup", "0::/user.slice\n");
    f.put("/proc/self/mountinfo", "30 22 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    f.put("/sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
    f.put("/sys/fs/cgroup/user.slice/memory.max", "max\n");
    ResourceLimits l = detect(f, 3);
    assertEquals(3.0, l.cpus());
    assertThat(l.cpuSource()).contains("affinity");
    assertEquals(64 * GB, l.memoryBytes());
    assertEquals("physical memory", l.memorySource());
  }

  /** Docker on a cgroup v1 host (--cpus=2 --memory=3g), as this development machine has it. */
  @Test
  void cgroupV1QuotaAndMemoryLimit() {
    Map<String, String> f = new HashMap<>();
    f.put("/proc/self/cgroup", """
        9:name=systemd:/
        4:memory:/docker/abc
        2:cpu,cpuacct:/docker/abc
        1:cpuset:/
        """);
    f.put("/proc/self/mountinfo", """
        30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
        31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
        34 30 0:31 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
        """);
    f.put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "200000\n");
    f.put("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    f.put("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    f.put("/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    f.put("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "3221225472\n");
    f.put("/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes", "2000000000\n");
    f.put("/sys/fs/cgroup/memory/docker/abc/memory.stat", "cache 1500000000\ntotal_inactive_file 1200000000\n");
    f.put("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
    ResourceLimits l = detect(f, 16);
    assertEquals(2.0, l.cpus());
    assertThat(l.cpuSource()).contains("cgroup v1 cpu.cfs_quota_us 200000/100000");
    assertEquals(3 * GB, l.memoryBytes());
    assertEquals(800_000_000L, ResourceLimits.workingSet(p -> Optional.ofNullable(f.get(p)), l.memoryGroup()));
  }

  /** Inside a cgroup namespace the mount's root is the group itself: paths are not doubled. */
  @Test
  void cgroupV1InsideANamespace() {
    Map<String, String> f = new HashMap<>();
    f.put("/proc/self/cgroup", "1:cpu:/\n");
    f.put("/proc/self/mountinfo", "31 30 0:28 /kubepods/pod1/c1 /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n");
    f.put("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "50000\n");
    f.put("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    ResourceLimits l = detect(f, 4);
    assertEquals(0.5, l.cpus());
    assertEquals(1, l.wholeCpus());
  }

  @Test
  void thisMachineGivesSaneAnswers() {
    ResourceLimits l = ResourceLimits.detect();
    assertThat(l.cpus()).isGreaterThan(0).isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(l.memoryBytes()).isGreaterThan(64L << 20);
    assertThat(l.memoryUsed()).isGreaterThan(0);
    assertThat(l.describe()).containsPattern("^[0-9.]+ CPUs? \\(").contains("MB memory");
  }
}
