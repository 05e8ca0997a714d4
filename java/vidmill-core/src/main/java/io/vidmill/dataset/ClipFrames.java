package io.vidmill.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What one clip gives the dataset: its tar members, already written by the decode worker to a
 * spool file of their own (see {@link SpoolWriter}), and a record per selected frame. The sink
 * appends the spool to the open tar shard whole, so a clip's members stay together (WebDataset
 * reads them as one sample), and then deletes it.
 *
 * @param sampleKey the clip's name inside the shards ({@link SampleKey})
 * @param spool the file of tar members, or null when no frames are written (a frames table only)
 * @param spoolBytes its length: whole 512-byte tar records
 * @param frames the selected frames, in order
 * @param shard the shard the members went to, once the sink has placed them; else null
 * @param offset where in that shard the clip's first member header starts; -1 until placed
 */
public record ClipFrames(String sampleKey, Path spool, long spoolBytes, List<FrameRecord> frames, String shard,
                         long offset) {
  public ClipFrames {
    frames = List.copyOf(frames);
  }

  /** Frames without files: what a frames table needs when no frames are written. */
  public static ClipFrames recordsOnly(String sampleKey, List<FrameRecord> frames) {
    return new ClipFrames(sampleKey, null, 0, frames, null, -1);
  }

  /** The same, appended to {@code shard} at {@code offset}. */
  public ClipFrames placed(String shardName, long at) {
    return new ClipFrames(sampleKey, spool, spoolBytes, frames, shardName, at);
  }

  /** Deletes the spool file (after it was copied into a shard, or when the clip is dropped). */
  public void discard() throws IOException {
    if (spool != null) Files.deleteIfExists(spool);
  }
}
