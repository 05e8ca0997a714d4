package io.vidmill.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.vidmill.decode.Clip;
import io.vidmill.decode.ClipInfo;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.Device;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Want;
import io.vidmill.ops.FrameStats;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.ops.Resize;
import io.vidmill.synth.SyntheticClip;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a GPU host (skipped elsewhere; {@code -Dgroups=gpu} runs only these): clips decode on
 * NVDEC frame for frame as on the CPU, converted frames within +-1, and a clip NVDEC does not
 * decode bit-exactly (MPEG-4 Part 2) falls back with its reason. The C driver's {@code vmtool
 * gpucheck device} (bench/gpu/run.sh) checks far more; this is the Java path over it.
 */
@Tag("gpu")
class GpuDecodeTest {
  @TempDir static Path dir;
  static Path h264;
  static Path mpeg4;

  @BeforeAll
  static void make() throws Exception {
    h264 = dir.resolve("a.mp4");
    SyntheticClip.h264(640, 360, 25, 1.0, 5).write(h264);
    mpeg4 = dir.resolve("b.mkv");
    SyntheticClip.h264(640, 360, 25, 0.4, 6).withEncoder("mpeg4").write(mpeg4);
  }

  record Decoded(List<String> md5s, List<FrameStats> stats, ClipInfo info) {}

  private static Decoded decode(Path p, Device device, Output output) throws Exception {
    List<String> md5s = new ArrayList<>();
    List<FrameStats> frames = new ArrayList<>();
    try (Clip c = Clip.open(Source.of(p), OpenOptions.DEFAULTS.withDevice(device));
         FrameBatch b = FrameBatch.allocate(8, Want.MD5, Want.STATS)) {
      if (output != null) c.setOutput(output);
      DecodeResult r = c.decodeAll(b, f -> {
        md5s.add(f.md5Hex());
        frames.add(f.stats());
      });
      assertThat(r.ok()).as(r.message()).isTrue();
      return new Decoded(md5s, frames, c.info());
    }
  }

  @Test
  void h264DecodesOnNvdecFrameForFrameAsOnTheCpu() throws Exception {
    assumeTrue(Cuda.isAvailable(), () -> "no GPU: " + Cuda.describe());
    Decoded cpu = decode(h264, Device.CPU, null);
    Decoded gpu = decode(h264, Device.cuda(Cuda.decoderGpus().getFirst().index()), null);
    assertThat(gpu.info().backend()).startsWith("cuda:");
    assertEquals("", gpu.info().backendReason());
    assertEquals(cpu.md5s(), gpu.md5s());
    Output rgb = Output.of(PixelFormat.RGB24).withSize(224, 224, Resize.CENTER_CROP);
    Decoded c2 = decode(h264, Device.CPU, rgb);
    Decoded g2 = decode(h264, Device.cuda(Cuda.decoderGpus().getFirst().index()), rgb);
    assertEquals(c2.md5s(), g2.md5s(), "the kernels' output is the CPU path's");
    for (int i = 0; i < c2.stats().size(); i++) {
      assertEquals(c2.stats().get(i).dhash(), g2.stats().get(i).dhash());
      assertEquals(c2.stats().get(i).lumaMean(), g2.stats().get(i).lumaMean(), 1e-3);
    }
  }

  @Test
  void mpeg4FallsBackToTheCpuWithItsReason() throws Exception {
    assumeTrue(Cuda.isAvailable(), () -> "no GPU: " + Cuda.describe());
    Decoded gpu = decode(mpeg4, Device.AUTO, null);
    assertEquals("cpu", gpu.info().backend());
    assertEquals("UNSUPPORTED", gpu.info().backendFallback());
    assertEquals(decode(mpeg4, Device.CPU, null).md5s(), gpu.md5s());
  }
}
