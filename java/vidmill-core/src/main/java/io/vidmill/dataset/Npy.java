package io.vidmill.dataset;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The header of a NumPy {@code .npy} file (format version 1.0, numpy/lib/format.py): the magic
 * {@code \x93NUMPY}, version 1 0, a little-endian u16 header length, then a Python dict literal
 * padded with spaces and ending in a newline. vidmill's headers are always {@value #HEADER_BYTES}
 * bytes (a multiple of 64, as the format asks), so that the array's size can be filled in after
 * its frames are written.
 */
public final class Npy {
  /** Bytes of every header vidmill writes; the data follows. */
  public static final int HEADER_BYTES = 128;

  private Npy() {}

  /** The header of a C-ordered uint8 array of this shape. */
  public static byte[] header(long... shape) {
    StringBuilder dims = new StringBuilder();
    for (long d : shape) {
      if (d < 0) throw new IllegalArgumentException("negative dimension " + d);
      dims.append(d).append(", ");
    }
    if (shape.length > 1) dims.setLength(dims.length() - 2);
    String dict = "{'descr': '|u1', 'fortran_order': False, 'shape': (" + dims + "), }";
    int room = HEADER_BYTES - 10;
    if (dict.length() + 1 > room) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " too long");
    byte[] h = new byte[HEADER_BYTES];
    byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    System.arraycopy(magic, 0, h, 0, magic.length);
    h[8] = (byte) room;
    h[9] = (byte) (room >> 8);
    byte[] text = dict.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(text, 0, h, 10, text.length);
    Arrays.fill(h, 10 + text.length, HEADER_BYTES - 1, (byte) ' ');
    h[HEADER_BYTES - 1] = '\n';
    return h;
  }
}
