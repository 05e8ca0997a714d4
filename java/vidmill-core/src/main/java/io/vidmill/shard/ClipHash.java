package io.vidmill.shard;

import java.nio.charset.StandardCharsets;
import org.apache.commons.codec.digest.MurmurHash3;

/**
 * The stable 128-bit hash of a clip key (MurmurHash3 x64 128 of its UTF-8 bytes, seed 0):
 * the same on every machine and in every version, because shards of one run may be processed
 * by different vidmill builds. Sharding uses {@link #hi}; the journal keeps both halves.
 */
public record ClipHash(long hi, long lo) {
  public static ClipHash of(String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    long[] h = MurmurHash3.hash128x64(bytes, 0, bytes.length, 0);
    return new ClipHash(h[0], h[1]);
  }
}
