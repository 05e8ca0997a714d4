package io.vidmill.report;

import io.vidmill.ops.Filter;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.ops.Resize;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The report's contact sheet: which clips it shows and what picture each gets, defined once
 * for the two ways a picture is made. {@code vidmill report} decodes the picture's frame again
 * ({@link FrameThumbnailer}); {@code vidmill run} keeps it while it decodes the clip anyway
 * ({@link Pictures}), so that its report needs no second decode and no second read of remote
 * storage. Both give the same bytes for a clip.
 *
 * <ul>
 *   <li>The sample: the {@code n} decoded clips whose keys have the smallest MD5 (DuckDB's
 *       {@code md5(key)}, lowercase hex). A uniform random sample that needs no seed and no
 *       second look: a run can tell as a clip starts whether it may be in it (one that is in
 *       the sample of all the results is in the sample of any part that holds it), and shards
 *       agree without talking.</li>
 *   <li>The picture: the frame that {@code uniform=1} selects (the middle one by count, frame
 *       {@code floor(n / 2)} of the clip's {@code n} frames), as RGB with the area filter,
 *       fitted into a 16:9 box {@link #WIDTH} pixels wide, as a JPEG of quality
 *       {@link #QUALITY} from vidmill's own encoder.</li>
 * </ul>
 */
public final class ContactSheet {
  /** The width of the box every picture is fitted into; its height is 9/16 of it. */
  public static final int WIDTH = 192;
  /** JPEG quality of the pictures (libjpeg's scale). */
  public static final int QUALITY = 85;
  /** The largest picture the page takes. */
  static final int MAX_BYTES = 256 * 1024;

  private ContactSheet() {}

  /** How a picture at most {@code maxWidth} wide is converted from its frame. */
  public static Output output(int maxWidth) {
    return Output.of(PixelFormat.RGB24).withFilter(Filter.AREA)
        .withSize(maxWidth, Math.max(1, maxWidth * 9 / 16), Resize.FIT);
  }

  /** Which of a clip's {@code frames} frames is its picture (0-based): uniform=1's. */
  public static long pictureFrame(long frames) {
    return frames / 2;
  }

  /** The key's place in the sample order: MD5 of its UTF-8 bytes in lowercase hex, as DuckDB's md5(). */
  public static String rank(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e); // every JDK has MD5
    }
  }

  /** Whether {@code b} may go into the page: a JPEG (FF D8 FF) of at most {@link #MAX_BYTES}. */
  static boolean acceptable(byte[] b) {
    return b.length >= 4 && (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xd8 && (b[2] & 0xff) == 0xff
        && b.length <= MAX_BYTES;
  }

  /**
   * The pictures a run makes as it decodes: for each clip that may be in the sample when it
   * starts ({@link #wants}), the decoder keeps the picture's frame and hands the JPEG to
   * {@link #add}. Holds the {@code count} smallest ranks seen, so at most {@code count}
   * pictures (a few kilobytes each) whatever the length of the run; over a run of {@code N}
   * clips about {@code count * ln(N / count)} clips are asked for one. What it lacks (clips of
   * an earlier attempt or of other shards, a clip whose frame count the container did not
   * foretell) the report decodes as before. Thread-safe.
   */
  public static final class Pictures {
    private final int count;
    // rank -> the picture, or null for a clip that is in the sample without one
    private final TreeMap<String, byte[]> kept = new TreeMap<>();
    private final Map<String, String> keyOfRank = new HashMap<>();

    public Pictures(int count) {
      this.count = count;
    }

    /** Whether the clip {@code key} may end up in the sample, seen what has been added so far. */
    public synchronized boolean wants(String key) {
      return count > 0 && (kept.size() < count || rank(key).compareTo(kept.lastKey()) < 0);
    }

    /** A decoded clip of the sample's kind (it succeeded) with its picture, or null for none. */
    public synchronized void add(String key, byte[] jpeg) {
      if (count <= 0) return;
      String r = rank(key);
      if (kept.size() >= count && r.compareTo(kept.lastKey()) >= 0) return;
      kept.put(r, jpeg == null || !acceptable(jpeg) ? null : jpeg.clone());
      keyOfRank.put(r, key);
      while (kept.size() > count) keyOfRank.remove(kept.pollLastEntry().getKey());
    }

    /** The picture kept for {@code key}, if any. */
    public synchronized Optional<byte[]> picture(String key) {
      byte[] b = kept.get(rank(key));
      return b != null && key.equals(keyOfRank.get(rank(key))) ? Optional.of(b.clone()) : Optional.empty();
    }

    /** A thumbnailer that gives these pictures and asks {@code otherwise} for the rest. */
    public Thumbnailer before(Thumbnailer otherwise) {
      return (key, uri, maxWidth) -> {
        Optional<byte[]> mine = maxWidth == WIDTH ? picture(key) : Optional.empty();
        return mine.isPresent() ? mine : otherwise.jpeg(key, uri, maxWidth);
      };
    }
  }
}
