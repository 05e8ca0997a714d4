package io.vidmill.nativelib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

class NativeLibraryTest {
  @Test
  void loadsAndExplainsWhereFrom() {
    assertThat(NativeLibrary.unavailabilityCause()).isEmpty();
    assertThat(NativeLibrary.isAvailable()).isTrue();
    assertThat(NativeLibrary.version()).startsWith("vidmill ").contains("FFmpeg 7.1").contains("libavcodec 61.");
    assertThat(NativeLibrary.loadingSteps()).anyMatch(s -> s.startsWith("libavcodec mapped from "));
    assertThat(Files.isRegularFile(NativeLibrary.libraryPath())).isTrue();
  }

  /** A system FFmpeg (Debian's 5.1 is installed on some machines) must never be the one used. */
  @Test
  void ffmpegComesFromTheJavaCppJar() throws Exception {
    Path cache = Loader.getCacheDir().toPath().toRealPath();
    List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
        .filter(l -> l.contains("/libavcodec.so") || l.contains("/libavformat.so") || l.contains("/libavutil.so"))
        .map(l -> l.substring(l.indexOf('/')))
        .distinct()
        .toList();
    assertThat(mapped).isNotEmpty();
    for (String path : mapped) {
      assertThat(Path.of(path).toRealPath()).as(path).startsWith(cache);
    }
  }

  private static final Map<Integer, StructLayout> STRUCTS = Map.ofEntries(
      Map.entry(Layouts.VM_STRUCT_SOURCE, Layouts.SOURCE),
      Map.entry(Layouts.VM_STRUCT_OPEN_OPTIONS, Layouts.OPEN_OPTIONS),
      Map.entry(Layouts.VM_STRUCT_CLIP_INFO, Layouts.CLIP_INFO),
      Map.entry(Layouts.VM_STRUCT_CLIP_STATS, Layouts.CLIP_STATS),
      Map.entry(Layouts.VM_STRUCT_FRAME, Layouts.FRAME),
      Map.entry(Layouts.VM_STRUCT_BATCH, Layouts.BATCH),
      Map.entry(Layouts.VM_STRUCT_SYNTH_OPTIONS, Layouts.SYNTH_OPTIONS),
      Map.entry(Layouts.VM_STRUCT_OUTPUT, Layouts.OUTPUT),
      Map.entry(Layouts.VM_STRUCT_CLIP_AGGREGATES, Layouts.CLIP_AGGREGATES),
      Map.entry(Layouts.VM_STRUCT_IMAGE, Layouts.IMAGE),
      Map.entry(Layouts.VM_STRUCT_SAMPLING, Layouts.SAMPLING),
      Map.entry(Layouts.VM_STRUCT_ENCODER_OPTIONS, Layouts.ENCODER_OPTIONS),
      Map.entry(Layouts.VM_STRUCT_CUDA_DEVICE, Layouts.CUDA_DEVICE),
      Map.entry(Layouts.VM_STRUCT_CUDA_UTILIZATION, Layouts.CUDA_UTILIZATION),
      Map.entry(Layouts.VM_STRUCT_DECODER_CAPS, Layouts.DECODER_CAPS),
      Map.entry(Layouts.VM_STRUCT_WORKER_OPTIONS, Layouts.WORKER_OPTIONS),
      Map.entry(Layouts.VM_STRUCT_WORKER_STATE, Layouts.WORKER_STATE));

  @Test
  void everyStructLayoutMatchesTheCompiledLibrary() {
    for (var e : STRUCTS.entrySet()) {
      StructLayout layout = e.getValue();
      assertEquals(layout.byteSize(), Vidmill.vm_struct_size(e.getKey()), layout.name().orElseThrow() + " size");
      int fields = 0;
      for (MemoryLayout member : layout.memberLayouts()) {
        String name = member.name().orElseThrow(() -> new AssertionError("unnamed member in " + layout));
        assertEquals(Layouts.offset(layout, name), Vidmill.vm_struct_offset(e.getKey(), name),
            layout.name().orElseThrow() + "." + name);
        fields++;
      }
      assertThat(fields).isGreaterThan(3);
    }
    assertEquals(-1, Vidmill.vm_struct_offset(Layouts.VM_STRUCT_FRAME, "no_such_field"));
    assertEquals(0, Vidmill.vm_struct_size(999));
  }
}
