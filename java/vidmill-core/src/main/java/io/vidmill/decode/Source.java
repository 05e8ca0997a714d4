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

  /** The segment must stay valid and unchanged until the clip is closed. */
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
    }
  }
}
