package io.vidmill.manifest;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The manifest parsers (lines, JSONL, CSV, TSV, and the detection of stdin's format) under
 * fuzzed bytes: clean entries or a {@link ManifestException}, never another exception, and no
 * entry bigger than the bytes it came from (memory stays bounded by the input).
 *
 * <p>Input layout: byte 0 picks the format, byte 1 the path column, the rest is the manifest.
 */
class ManifestFuzzTest {
  private static final String[] PATH_COLUMNS = {null, "path", "video", "k"};
  @TempDir static Path dir;
  private static final int CWD = Path.of("").toAbsolutePath().toString().length();

  static Stream<Arguments> parse() {
    return Stream.of(
        seed(1, 0, "a.mp4\n# comment\n\n  /abs/b.mkv  \ns3://bucket/c.webm\nfile:///tmp/d.mov\n"),
        seed(2, 0, "{\"path\": \"a.mp4\", \"label\": 3}\n\n{\"uri\": \"s3://b/k.mp4\", \"key\": \"x\", \"tags\": [1,2]}\n"),
        seed(3, 0, "path,label\na.mp4,cat\n\"b, c.mp4\",\"dog \"\"x\"\"\"\n"),
        seed(4, 2, "video\tscore\nv1.mp4\t0.5\n"),
        seed(0, 0, "{\"video\": \"v.mp4\"}\n"),
        seed(0, 1, "id,path\n1,a.mp4\n"),
        seed(0, 0, "clips/a.mp4\nclips/b.mp4\n"));
  }

  private static Arguments seed(int format, int column, String text) {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    byte[] data = new byte[body.length + 2];
    data[0] = (byte) format;
    data[1] = (byte) column;
    System.arraycopy(body, 0, data, 2, body.length);
    return Arguments.of((Object) data);
  }

  @MethodSource
  @FuzzTest(maxDuration = "10m")
  void parse(byte[] data) throws IOException {
    if (data.length < 2) return;
    int format = (data[0] & 0xff) % 5;
    String pathColumn = PATH_COLUMNS[(data[1] & 0xff) % PATH_COLUMNS.length];
    byte[] body = Arrays.copyOfRange(data, 2, data.length);
    long entries = 0;
    int base = Math.max(CWD, dir.toString().length()); // where relative paths are resolved
    try (Manifest m = open(format, pathColumn, body)) {
      while (m.hasNext()) {
        ClipRef r = m.next();
        entries++;
        assertThat(r.key()).isNotNull();
        assertThat(r.uri()).isNotBlank();
        // an entry holds what its line held (plus the manifest's folder for a relative path)
        assertThat(r.key().length()).isLessThanOrEqualTo(body.length);
        assertThat(r.uri().length()).isLessThanOrEqualTo(body.length + base + 1);
        long columns = r.columns().entrySet().stream()
            .mapToLong(e -> e.getKey().length() + (e.getValue() == null ? 0 : e.getValue().length())).sum();
        assertThat(columns).isLessThanOrEqualTo(body.length);
        assertThat(entries).isLessThanOrEqualTo(body.length);
      }
    } catch (ManifestException e) {
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n");
    }
  }

  private static Manifest open(int format, String pathColumn, byte[] body) throws IOException {
    var stdin = new ByteArrayInputStream(body);
    return switch (format) {
      case 0 -> Manifest.open("-", Manifest.Format.AUTO, pathColumn, Manifest.DEFAULT_EXTENSIONS, stdin);
      case 1 -> Manifest.open("-", Manifest.Format.LINES, pathColumn, Manifest.DEFAULT_EXTENSIONS, stdin);
      case 2 -> Manifest.open("-", Manifest.Format.JSONL, pathColumn, Manifest.DEFAULT_EXTENSIONS, stdin);
      case 3 -> Manifest.open("-", Manifest.Format.CSV, pathColumn, Manifest.DEFAULT_EXTENSIONS, stdin);
      default -> {
        // a TSV manifest is told by its name: a real file
        Path tsv = Files.write(dir.resolve("manifest.tsv"), body);
        yield Manifest.open(tsv.toString(), Manifest.Format.AUTO, pathColumn, Manifest.DEFAULT_EXTENSIONS, stdin);
      }
    };
  }
}
