package io.vidmill.manifest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestTest {
  @TempDir Path dir;

  private static List<ClipRef> all(Manifest m) {
    List<ClipRef> refs = new ArrayList<>();
    try (m) {
      m.forEachRemaining(refs::add);
    }
    return refs;
  }

  private Manifest open(String input, String stdin) throws IOException {
    return Manifest.open(input, Manifest.Format.AUTO, null, Manifest.DEFAULT_EXTENSIONS,
        new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void linesWithCommentsBlanksUrisAndRelativePaths() throws IOException {
    Path m = Files.writeString(dir.resolve("list.txt"), """
        # clips for today
        a.mp4
          sub/b.mov  

        /abs/c.mkv
        s3://bucket/key with space.mp4
        file:///data/d.webm
        https://example.org/e.mp4
        """);
    List<ClipRef> refs = all(open(m.toString(), ""));
    assertThat(refs).extracting(ClipRef::uri).containsExactly(
        dir.resolve("a.mp4").toString(), dir.resolve("sub/b.mov").toString(), "/abs/c.mkv",
        "s3://bucket/key with space.mp4", "/data/d.webm", "https://example.org/e.mp4");
    assertThat(refs).extracting(ClipRef::key).containsExactly(
        "a.mp4", "sub/b.mov", "/abs/c.mkv", "s3://bucket/key with space.mp4", "file:///data/d.webm",
        "https://example.org/e.mp4");
  }

  @Test
  void jsonlWithPassthroughColumnsAndAKeyColumn() throws IOException {
    Path m = Files.writeString(dir.resolve("m.jsonl"), """
        {"path": "x/1.mp4", "label": "cat", "score": 0.5, "tags": ["a","b"]}

        {"video_path": "2.mp4", "key": "clip-2", "label": null}
        """);
    List<ClipRef> refs = all(open(m.toString(), ""));
    assertEquals(2, refs.size());
    assertEquals(dir.resolve("x/1.mp4").toString(), refs.get(0).uri());
    assertEquals("x/1.mp4", refs.get(0).key());
    assertEquals(Map.of("label", "cat", "score", "0.5", "tags", "[\"a\",\"b\"]"), refs.get(0).columns());
    assertEquals("clip-2", refs.get(1).key());
    assertThat(refs.get(1).columns()).containsEntry("label", null).doesNotContainKey("key");
  }

  @Test
  void csvWithQuotedFieldsAndANamedPathColumn() throws IOException {
    Path m = Files.writeString(dir.resolve("m.csv"), """
        id,clip,caption
        1,a.mp4,"hello, world"
        2,"b c.mp4",plain
        """);
    List<ClipRef> refs = all(Manifest.open(m.toString(), Manifest.Format.AUTO, "clip", Manifest.DEFAULT_EXTENSIONS, null));
    assertThat(refs).extracting(ClipRef::uri).containsExactly(dir.resolve("a.mp4").toString(), dir.resolve("b c.mp4").toString());
    assertEquals(Map.of("id", "1", "caption", "hello, world"), refs.get(0).columns());
  }

  @Test
  void stdinIsDetectedAsJsonlCsvOrLines() throws IOException {
    assertEquals("/v/a.mp4", all(open("-", "{\"path\":\"/v/a.mp4\"}\n")).getFirst().uri());
    assertEquals("/v/b.mp4", all(open("-", "path,x\n/v/b.mp4,1\n")).getFirst().uri());
    assertEquals("/v/c.mp4", all(open("-", "/v/c.mp4\n")).getFirst().uri());
  }

  /** What cannot be a manifest's entry is a ManifestException that names the line, in one line. */
  @Test
  void entriesThatAreNeitherPathNorUriAndOverlongLinesNameTheirLine() throws IOException {
    ManifestException nul = assertThrows(ManifestException.class, () -> all(open("-", "/v/a.mp4\n/v/b\0.mp4\n")));
    assertThat(nul.getMessage()).isEqualTo("line 2: not a local path or URI: /v/b?.mp4 (Nul character not allowed)");
    ManifestException uri = assertThrows(ManifestException.class,
        () -> all(open("-", "{\"path\": \"file://host/x.mp4\"}\n")));
    assertThat(uri.getMessage()).startsWith("line 1: not a local path or URI: file://host/x.mp4");
    // a binary file given as a manifest: no line of a gigabyte in memory
    Path big = Files.writeString(dir.resolve("blob.txt"), "x".repeat(Manifest.MAX_LINE + 10));
    ManifestException longLine = assertThrows(ManifestException.class, () -> all(open(big.toString(), "")));
    assertThat(longLine.getMessage()).contains("a line is longer than " + Manifest.MAX_LINE + " characters");
    ManifestException header = assertThrows(ManifestException.class,
        () -> all(open(Files.writeString(dir.resolve("bad.csv"), "path,\"x\n").toString(), "")));
    assertThat(header.getMessage()).doesNotContain("\n");
  }

  @Test
  void directoryWalkIsRecursiveAndFiltersExtensions() throws IOException {
    Path root = dir.resolve("videos");
    Files.createDirectories(root.resolve("a/b"));
    for (String f : List.of("1.mp4", "a/2.MOV", "a/b/3.webm", "a/notes.txt", "a/b/4.jpg")) {
      Files.writeString(root.resolve(f), "x");
    }
    List<ClipRef> refs = all(open(root.toString(), ""));
    assertThat(refs).extracting(ClipRef::key).containsExactlyInAnyOrder("1.mp4", "a/2.MOV", "a/b/3.webm");
  }

  @Test
  void aRowWithoutAPathIsAClearError() throws IOException {
    Path m = Files.writeString(dir.resolve("m.jsonl"), "{\"path\":\"a.mp4\"}\n{\"other\":1}\n");
    ManifestException e = assertThrows(ManifestException.class, () -> all(open(m.toString(), "")));
    assertThat(e.getMessage()).contains("line 2").contains("path column");
    Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"path\":\"a.mp4\"}\n{not json\n");
    assertThat(assertThrows(ManifestException.class, () -> all(open(bad.toString(), ""))).getMessage())
        .contains("line 2 is not JSON");
  }

  @Test
  void countLinesIsForProgress() throws IOException {
    Path m = Files.writeString(dir.resolve("n.txt"), "a\nb\n\nc");
    assertEquals(3, Manifest.countLines(m));
  }
}
