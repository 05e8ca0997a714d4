package io.vidmill.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import io.vidmill.decode.Clip;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.Device;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Want;
import io.vidmill.synth.SyntheticClip;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPU path on a machine without a usable GPU (CI): availability is a value with its cause,
 * and a clip asked to decode on the GPU decodes on the CPU, frame for frame as a CPU clip, and
 * says so. Skipped where a GPU decodes (GpuDecodeTest covers that machine).
 */
class CudaFallbackTest {
  @TempDir static Path dir;
  static Path clip;

  @BeforeAll
  static void make() throws Exception {
    clip = dir.resolve("a.mp4");
    SyntheticClip.h264(160, 96, 25, 0.4, 3).write(clip);
  }

  @Test
  void withoutAGpuAvailabilityIsFalseWithAnActionableCause() {
    assumeFalse(Cuda.isAvailable(), "a GPU decodes here");
    assertThat(Cuda.unavailabilityCause()).isPresent();
    String cause = Cuda.unavailabilityCause().orElseThrow().getMessage();
    assertThat(cause).containsAnyOf("no usable GPU", "no GPU decodes").contains("--device cpu");
    assertThat(Cuda.decoderGpus()).isEmpty();
    assertThat(Cuda.describe()).isEqualTo(cause);
    assertThat(Cuda.choice(Device.AUTO)).startsWith("device auto: no GPU decodes, every clip decodes on the CPU");
    assertEquals(Cuda.Utilization.UNKNOWN, Cuda.utilization(0));
  }

  private static List<String> md5s(Device device, List<String> backend) throws Exception {
    List<String> out = new ArrayList<>();
    try (Clip c = Clip.open(Source.of(clip), OpenOptions.DEFAULTS.withDevice(device));
         FrameBatch b = FrameBatch.allocate(8, Want.MD5)) {
      DecodeResult r = c.decodeAll(b, f -> out.add(f.md5Hex()));
      assertThat(r.ok()).as(r.message()).isTrue();
      backend.add(c.info().backend());
      backend.add(c.info().backendFallback());
      backend.add(c.info().backendReason());
    }
    return out;
  }

  @Test
  void autoAndCudaClipsDecodeOnTheCpuAndSayWhy() throws Exception {
    assumeFalse(Cuda.isAvailable(), "a GPU decodes here");
    List<String> cpu = new ArrayList<>();
    List<String> expected = md5s(Device.CPU, cpu);
    assertEquals(List.of("cpu", "", ""), cpu, "a CPU clip has no fallback");
    for (Device d : List.of(Device.AUTO, Device.CUDA, Device.cuda(0), Device.cuda(3))) {
      List<String> backend = new ArrayList<>();
      assertEquals(expected, md5s(d, backend), d + ": the frames of the CPU");
      assertEquals("cpu", backend.get(0), d.toString());
      assertEquals("NO_GPU", backend.get(1), d.toString());
      assertThat(backend.get(2)).as(d.toString()).startsWith("NO_GPU: ").hasSizeGreaterThan(12);
    }
  }

  @Test
  void devicesParseAsTheCommandLineWritesThem() {
    assertEquals(Device.AUTO, Device.parse("auto"));
    assertEquals(Device.CPU, Device.parse(" CPU "));
    assertEquals(Device.CUDA, Device.parse("cuda"));
    assertEquals(Device.cuda(2), Device.parse("cuda:2"));
    assertEquals("cuda:2", Device.cuda(2).toString());
    assertEquals(0, Device.AUTO.gpuForOneClip());
    assertEquals(-1, Device.CPU.gpuForOneClip());
    assertEquals(2, Device.parse("cuda:2").gpuForOneClip());
    for (String bad : List.of("gpu:1", "cuda:", "cuda:-1", "cuda:x", "tpu", "")) {
      org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Device.parse(bad), bad);
    }
  }
}
