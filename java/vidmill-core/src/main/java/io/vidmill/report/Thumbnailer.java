package io.vidmill.report;

import java.util.Optional;

/**
 * Makes the contact sheet's pictures: a small JPEG of one frame of a clip. The report asks for
 * a random sample of the run's decoded clips and embeds what comes back; a clip without a
 * thumbnail is simply left out, and a report with none is still complete.
 *
 * <p>Implementations are called from several threads at once (a clip each, one per core up to
 * four), within a time budget for all of them; they should return empty (not throw) for a clip
 * they cannot do.
 */
@FunctionalInterface
public interface Thumbnailer {
  /** Makes no thumbnails. */
  Thumbnailer NONE = (key, uri, maxWidth) -> Optional.empty();

  /**
   * @param key the clip's key (as in the results)
   * @param uri where its bytes are (a local path, file://, s3://, http(s)://)
   * @param maxWidth the widest the picture should be, in pixels (its height follows the aspect ratio)
   * @return JPEG bytes (starting with the FF D8 FF marker), or empty
   */
  Optional<byte[]> jpeg(String key, String uri, int maxWidth) throws Exception;

  /**
   * The thumbnailer {@code vidmill run} and {@code vidmill report} use: the clip's middle
   * frame, decoded, resized and encoded by vidmill itself (no pictures where libvidmill did not
   * load).
   */
  static Thumbnailer standard() {
    return STANDARD;
  }

  /** See {@link #standard()}. */
  Thumbnailer STANDARD = new FrameThumbnailer();
}
