package io.vidmill.report;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Sampling;
import io.vidmill.decode.Status;
import io.vidmill.decode.Want;
import io.vidmill.fetch.ByteBudget;
import io.vidmill.fetch.FetchException;
import io.vidmill.fetch.Fetched;
import io.vidmill.fetch.Fetcher;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.ops.ImageEncoder;
import io.vidmill.ops.Output;
import io.vidmill.ops.PixelFormat;
import io.vidmill.ops.Resize;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Optional;

/**
 * The contact sheet's pictures made by vidmill itself: the clip's middle frame (sampling
 * {@code uniform=1}: only what that frame needs is decoded), converted to RGB and fitted into a
 * 16:9 box {@code maxWidth} wide (the sheet shows every picture in such a box), encoded as a
 * JPEG by the native encoder. Any URI the run reads (local, file://, s3://, http(s)://).
 */
final class FrameThumbnailer implements Thumbnailer {
  private static final Duration PER_CLIP = Duration.ofSeconds(20);
  private static final int QUALITY = 85;

  @Override
  public Optional<byte[]> jpeg(String key, String uri, int maxWidth) throws InterruptedException {
    if (!NativeLibrary.isAvailable() || maxWidth < 1) return Optional.empty();
    long deadline = System.nanoTime() + PER_CLIP.toNanos();
    try (Fetcher fetcher = new Fetcher(new ByteBudget(256L << 20), PER_CLIP);
         Fetched bytes = fetcher.fetch(uri, deadline);
         Clip clip = Clip.open(bytes.source(), OpenOptions.DEFAULTS.withThreads(1).withTimeout(PER_CLIP),
             Sampling.parse("uniform=1"));
         FrameBatch batch = FrameBatch.allocate(1, Want.PIXELS);
         ImageEncoder jpeg = ImageEncoder.open(ImageEncoder.Codec.JPEG, QUALITY)) {
      clip.setOutput(Output.of(PixelFormat.RGB24).withFilter(io.vidmill.ops.Filter.AREA)
          .withSize(maxWidth, Math.max(1, maxWidth * 9 / 16), Resize.FIT));
      Status s = clip.next(batch);
      if (batch.count() == 0 || s.isError()) return Optional.empty();
      return Optional.of(jpeg.encode(batch.frame(0)).toArray(ValueLayout.JAVA_BYTE));
    } catch (FetchException | ClipException | IllegalArgumentException | IllegalStateException e) {
      return Optional.empty(); // a clip without a picture is left out of the sheet
    }
  }
}
