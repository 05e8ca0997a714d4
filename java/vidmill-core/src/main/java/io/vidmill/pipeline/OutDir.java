package io.vidmill.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.shard.Shard;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * The layout of --out, and the guard that keeps a run from writing into what is not its own.
 *
 * <pre>
 *   OUT/run.json                      what this run is (input, format, columns): the same for all shards
 *   OUT/clips/part-[SHARD-]NNNNNN.parquet   per-clip results
 *   OUT/failures[-SHARD].jsonl        the failed clips, one JSON object per line
 *   OUT/journal[-SHARD]               what is done (see Journal)
 *   OUT/summary[-SHARD].json          written when the run (shard) is complete
 *   OUT/timeline[-SHARD].jsonl        the run over time, one sample a second (see Timeline)
 *   OUT/frames/frames-[SHARD-]NNNNNN.tar   with --frames: the dataset's tar shards (see ShardWriter)
 *   OUT/frames/.spool[-SHARD]/        clips' tar members waiting for the sink (emptied at every start)
 *   OUT/frames_table/part-[SHARD-]NNNNNN.parquet   with --frames-table: a row per selected frame
 * </pre>
 * SHARD is "00003-of-00016" for a sharded run and absent otherwise, so that all shards of a
 * multi-node run can share one OUT and its clips/ folder reads as one table.
 */
final class OutDir {
  private static final ObjectMapper JSON = new ObjectMapper();

  final Path root;
  final Path clips;
  final Path runJson;
  final Path failures;
  final Path journal;
  final Path summary;
  final Path timeline;
  final Path frames;
  final Path spool;
  final Path framesTable;
  final String partPrefix;
  final String shardPrefix;

  OutDir(Path root, Shard shard) {
    this.root = root.toAbsolutePath().normalize();
    String suffix = shard.fileSuffix();
    clips = this.root.resolve("clips");
    runJson = this.root.resolve("run.json");
    failures = this.root.resolve("failures" + suffix + ".jsonl");
    journal = this.root.resolve("journal" + suffix);
    summary = this.root.resolve("summary" + suffix + ".json");
    timeline = this.root.resolve("timeline" + suffix + ".jsonl");
    partPrefix = "part-" + (shard.count() == 1 ? "" : shard.fileLabel() + "-");
    frames = this.root.resolve("frames");
    spool = frames.resolve(".spool" + suffix);
    framesTable = this.root.resolve("frames_table");
    shardPrefix = "frames-" + (shard.count() == 1 ? "" : shard.fileLabel() + "-");
  }

  /**
   * What makes two invocations the same run.
   *
   * @param outputs what the run makes of each clip ({@link ClipSpec#toJson()}); a run.json from
   *     before dataset outputs has none, and means {@link ClipSpec#DEFAULT}
   */
  record Identity(String input, String format, String pathColumn, List<String> extensions,
                  List<String> passthrough, int shards, JsonNode outputs) {
    ObjectNode toJson() {
      ObjectNode o = JSON.createObjectNode();
      o.put("vidmill_run", 1);
      o.put("input", input);
      o.put("format", format);
      o.put("path_column", pathColumn);
      ArrayNode ext = o.putArray("extensions");
      extensions.forEach(ext::add);
      ArrayNode cols = o.putArray("passthrough_columns");
      passthrough.forEach(cols::add);
      o.put("shards", shards);
      o.set("outputs", outputs);
      return o;
    }

    static Identity fromJson(JsonNode o) {
      List<String> ext = new ArrayList<>();
      o.path("extensions").forEach(e -> ext.add(e.asText()));
      List<String> cols = new ArrayList<>();
      o.path("passthrough_columns").forEach(e -> cols.add(e.asText()));
      return new Identity(o.path("input").asText(), o.path("format").asText(),
          o.path("path_column").isNull() ? null : o.path("path_column").asText(null), ext, cols,
          o.path("shards").asInt(1), o.has("outputs") ? o.get("outputs") : ClipSpec.DEFAULT.toJson());
    }

    /** Equal apart from the passthrough columns, which the first run of a shard decides. */
    boolean sameRunAs(Identity other) {
      return input.equals(other.input) && format.equals(other.format) && Objects.equals(pathColumn, other.pathColumn)
          && extensions.equals(other.extensions) && shards == other.shards && outputs.equals(other.outputs);
    }
  }

  /**
   * Returns this OUT's identity when it already holds the same run (to resume), null when OUT
   * is new or empty; refuses an OUT that holds something else.
   */
  Identity claim(Identity wanted) throws IOException {
    if (Files.isRegularFile(runJson)) {
      Identity existing = Identity.fromJson(JSON.readTree(runJson.toFile()));
      if (!existing.sameRunAs(wanted)) {
        String outputs = existing.outputs().equals(wanted.outputs()) ? ""
            : ", made with other outputs: " + existing.outputs();
        throw new IOException("--out " + root + " holds another run (input " + existing.input() + ", format "
            + existing.format() + ", " + existing.shards() + " shard(s)" + outputs
            + "); use another --out, or delete it first");
      }
      return existing;
    }
    if (Files.exists(root) && !isEmptyDir(root)) {
      throw new IOException("--out " + root + " is not empty and is not a vidmill run: refusing to write into it");
    }
    return null;
  }

  /** Records the identity; when shards race to do it, the first one wins and the others check. */
  Identity record(Identity identity) throws IOException {
    Files.createDirectories(clips);
    Path tmp = root.resolve("run.json." + ProcessHandle.current().pid() + ".tmp");
    Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(identity.toJson()));
    try {
      Files.move(tmp, runJson); // no REPLACE_EXISTING: atomic create
      return identity;
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(tmp);
      Identity existing = Identity.fromJson(JSON.readTree(runJson.toFile()));
      if (!existing.sameRunAs(identity)) throw new IOException("--out " + root + " was claimed by another run");
      return existing;
    }
  }

  private static boolean isEmptyDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) return false;
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  /** Result files of this shard that no commit names (a crash between write and commit). */
  List<Path> uncommittedParts(List<String> committed) throws IOException {
    return uncommittedParts(clips, committed);
  }

  /** Part files of this shard in {@code folder} (clips/ or frames_table/) that no commit names. */
  List<Path> uncommittedParts(Path folder, List<String> committed) throws IOException {
    List<Path> stale = new ArrayList<>();
    if (!Files.isDirectory(folder)) return stale;
    java.util.Set<String> names = new java.util.HashSet<>(committed);
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!name.startsWith(partPrefix)) continue;
        if (name.endsWith(".tmp") || (name.endsWith(".parquet") && !names.contains(name))) stale.add(p);
      }
    }
    return stale;
  }
}
