package io.vidmill.report;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Sampling;
import io.vidmill.decode.Want;
import io.vidmill.fetch.ByteBudget;
import io.vidmill.fetch.FetchException;
import io.vidmill.fetch.Fetched;
import io.vidmill.fetch.Fetcher;
import io.vidmill.nativelib.NativeLibrary;
import io.vidmill.ops.ImageEncoder;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.Optional;

/**
 * The contact sheet's pictures made by decoding again ({@link ContactSheet} says which frame and
 * how): sampling {@code uniform=1}, so only what that frame needs is decoded. Any URI the run reads (local, file://, s3://, http(s)://), through
 * one fetcher for the process (its HTTP and S3 clients are made once). Storage that fails twice
 * in a row (a bucket this machine cannot reach) is not asked again: the report is not held up
 * by a sample of clips it cannot read.
 */
final class FrameThumbnailer implements Thumbnailer {
  private static final Duration PER_CLIP = Duration.ofSeconds(10);
  private static final int GIVE_UP_AFTER = 2;

  private final java.util.concurrent.ConcurrentHashMap<String, Integer> failuresInARow =
      new java.util.concurrent.ConcurrentHashMap<>();
  private volatile Fetcher fetcher;

  private Fetcher fetcher() {
    Fetcher f = fetcher;
    if (f == null) {
      synchronized (this) {
        if (fetcher == null) fetcher = new Fetcher(new ByteBudget(256L << 20), PER_CLIP);
        f = fetcher;
      }
    }
    return f;
  }

  private static String storage(String uri) {
    int colon = uri.indexOf("://");
    if (colon < 0 || uri.startsWith("file://")) return "file";
    String scheme = uri.substring(0, colon);
    int slash = uri.indexOf('/', colon + 3);
    return scheme + "://" + (slash < 0 ? uri.substring(colon + 3) : uri.substring(colon + 3, slash));
  }

  @Override
  public Optional<byte[]> jpeg(String key, String uri, int maxWidth) throws InterruptedException {
    if (!NativeLibrary.isAvailable() || maxWidth < 1) return Optional.empty();
    String storage = storage(uri);
    if (failuresInARow.getOrDefault(storage, 0) >= GIVE_UP_AFTER) return Optional.empty();
    long deadline = System.nanoTime() + PER_CLIP.toNanos();
    Fetched bytes;
    try {
      bytes = fetcher().fetch(uri, deadline);
      failuresInARow.remove(storage);
    } catch (FetchException e) {
      // a missing local file says nothing about the next one; remote storage that fails does
      if (!storage.equals("file")) failuresInARow.merge(storage, 1, Integer::sum);
      return Optional.empty();
    }
    try (bytes;
         Clip clip = Clip.open(bytes.source(), OpenOptions.DEFAULTS.withThreads(1).withTimeout(PER_CLIP),
             // one frame: the planning pass only notes where it is, keeping no packets (it
             // then seeks there and reads one group of pictures again): 4 ms instead of 30 on
             // a 10 s 1080p clip, whose 10 MB would otherwise be copied into fresh memory
             Sampling.parse("uniform=1").withBufferBytes(-1));
         FrameBatch batch = FrameBatch.allocate(1, Want.PIXELS);
         ImageEncoder jpeg = ImageEncoder.open(ImageEncoder.Codec.JPEG, ContactSheet.QUALITY)) {
      clip.setOutput(ContactSheet.output(maxWidth));
      clip.next(batch); // a frame that came before an error is still the clip's picture
      if (batch.count() == 0) return Optional.empty();
      return Optional.of(jpeg.encode(batch.frame(0)).toArray(ValueLayout.JAVA_BYTE));
    } catch (ClipException | IllegalArgumentException | IllegalStateException e) {
      return Optional.empty(); // a clip without a picture is left out of the sheet
    }
  }
}
