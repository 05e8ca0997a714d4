package io.vidmill.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.nativelib.Vidmill;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusTest {
  /** The codes are a public contract (result tables, scripts): numbers never change. */
  private static final Map<String, Integer> FROZEN = new LinkedHashMap<>();

  static {
    String[] names = {"OK", "EOF", "INVALID_ARGUMENT", "NOT_FOUND", "PERMISSION_DENIED", "IO", "EMPTY",
        "NOT_A_VIDEO", "NO_VIDEO_STREAM", "UNSUPPORTED_CODEC", "ENCRYPTED", "TRUNCATED", "CORRUPT",
        "TOO_LARGE", "TIMEOUT", "OUT_OF_MEMORY", "BUFFER_TOO_SMALL", "FFMPEG_VERSION", "INTERNAL", "CRASHED"};
    int[] codes = {0, 1, -1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16, -17, -18};
    for (int i = 0; i < names.length; i++) FROZEN.put(names[i], codes[i]);
  }

  @Test
  void javaAndCAgreeOnEveryCode() {
    for (Status s : Status.values()) {
      assertEquals(s.name(), Vidmill.vm_status_name(s.code()), "C name of " + s);
      assertEquals(s, Status.of(s.code()));
    }
    assertEquals("UNKNOWN", Vidmill.vm_status_name(-1000));
    assertEquals(Status.INTERNAL, Status.of(-1000));
  }

  @Test
  void codesAreFrozen() {
    assertEquals(FROZEN.size(), Status.values().length, "a new code must be appended to FROZEN too");
    for (var e : FROZEN.entrySet()) {
      assertEquals(e.getValue(), Status.valueOf(e.getKey()).code(), e.getKey());
    }
  }
}
