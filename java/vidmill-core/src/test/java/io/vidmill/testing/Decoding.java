package io.vidmill.testing;

import io.vidmill.ClipException;
import io.vidmill.decode.Clip;
import io.vidmill.decode.DecodeResult;
import io.vidmill.decode.Frame;
import io.vidmill.decode.FrameBatch;
import io.vidmill.decode.OpenOptions;
import io.vidmill.decode.Source;
import io.vidmill.decode.Status;
import io.vidmill.decode.Want;
import java.util.ArrayList;
import java.util.List;

/** Decodes a whole clip for a test and keeps everything a test may assert on. */
public record Decoding(Status status, String message, List<Frame> frames) {
  public List<String> md5s() {
    return frames.stream().map(Frame::md5Hex).toList();
  }

  public static Decoding of(Source source, OpenOptions options) {
    List<Frame> frames = new ArrayList<>();
    try (Clip clip = Clip.open(source, options); FrameBatch batch = FrameBatch.allocate(8, Want.MD5)) {
      DecodeResult r = clip.decodeAll(batch, frames::add);
      return new Decoding(r.status(), r.message(), frames);
    } catch (ClipException e) {
      return new Decoding(e.status(), e.detail(), frames);
    }
  }

  public static Decoding of(Source source) {
    return of(source, OpenOptions.DEFAULTS.withThreads(1));
  }
}
