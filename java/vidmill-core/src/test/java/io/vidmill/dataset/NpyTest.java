package io.vidmill.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NpyTest {
  @Test
  void headersAreNpy10OfAFixedSize() {
    byte[] h = Npy.header(12, 224, 224, 3);
    assertEquals(Npy.HEADER_BYTES, h.length);
    assertEquals(0, h.length % 64, "the format wants the data aligned to 64");
    assertEquals((byte) 0x93, h[0]);
    assertEquals("NUMPY", new String(h, 1, 5, StandardCharsets.US_ASCII));
    assertEquals(1, h[6]);
    assertEquals(0, h[7]);
    assertEquals(Npy.HEADER_BYTES - 10, (h[8] & 0xff) | (h[9] & 0xff) << 8);
    String dict = new String(h, 10, h.length - 10, StandardCharsets.US_ASCII);
    assertThat(dict).startsWith("{'descr': '|u1', 'fortran_order': False, 'shape': (12, 224, 224, 3), }").endsWith("\n");
    assertThat(dict.strip()).endsWith("}");
    assertThat(new String(Npy.header(5), StandardCharsets.US_ASCII)).contains("'shape': (5, )");
    assertThat(new String(Npy.header(0, 48, 64), StandardCharsets.US_ASCII)).contains("'shape': (0, 48, 64)");
    assertThat(new String(Npy.header(Integer.MAX_VALUE * 4L, 16384, 16384, 3), StandardCharsets.US_ASCII))
        .contains("(8589934588, 16384, 16384, 3)");
    assertThatThrownBy(() -> Npy.header(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
