package io.vidmill.decode;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;

/** Where a clip's bytes are: a local file, or the whole file already in memory. */
public sealed interface Source permits Source.File, Source.Memory {
  /** The name used in messages. */
  String name();

  static Source of(Path path) {
    return new File(path);
  }

  /**
   * Bytes already in memory: a native segment (from an {@link java.lang.foreign.Arena} or a
   * mapped file), which must stay valid and unchanged until the clip is closed.
   */
  static Source of(MemorySegment data, String name) {
    return new Memory(data, name);
  }

  record File(Path path) implements Source {
    public File {
      Objects.requireNonNull(path, "path");
    }

    @Override
    public String name() {
      return path.toString();
    }
  }

  record Memory(MemorySegment data, String name) implements Source {
    public Memory {
      Objects.requireNonNull(data, "data");
      Objects.requireNonNull(name, "name");
      if (!data.isNative()) {
        throw new IllegalArgumentException("clip bytes must be in native memory (Arena.allocate, "
            + "FileChannel.map), not a heap segment: native code reads them in place");
      }
    }
  }
}
