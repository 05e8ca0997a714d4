package io.vidmill.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Streams the clips of a manifest, one at a time: memory does not grow with its length.
 *
 * <p>Inputs: a directory (walked recursively, files with a video extension), a text file with
 * one path or URI per line ({@code #} comments and blank lines skipped), a JSONL or CSV file
 * with a path column (other columns pass through), or {@code -} for standard input (the
 * format is told from the first line). Relative paths are resolved against the manifest's
 * directory (the working directory for stdin and for a directory walk's root as given).
 */
public abstract class Manifest implements Iterator<ClipRef>, AutoCloseable {
  /** How to read --input. */
  public enum Format { AUTO, DIRECTORY, LINES, JSONL, CSV }

  /** Path columns tried in order when none is named. */
  public static final List<String> PATH_COLUMNS =
      List.of("path", "uri", "url", "file", "filename", "video", "video_path", "clip");

  public static final Set<String> DEFAULT_EXTENSIONS =
      Set.of("mp4", "mov", "mkv", "webm", "m4v", "avi", "3gp", "ts", "mts", "flv", "mpg", "mpeg", "wmv", "ogv");

  private ClipRef next;
  private boolean done;
  protected long line;

  /** The next clip, or null at the end. */
  protected abstract ClipRef read() throws IOException;

  @Override
  public final boolean hasNext() {
    if (next != null) return true;
    if (done) return false;
    try {
      next = read();
    } catch (IOException e) {
      throw new ManifestException("cannot read the manifest at line " + line + ": " + e.getMessage(), e);
    }
    if (next == null) done = true;
    return next != null;
  }

  @Override
  public final ClipRef next() {
    if (!hasNext()) throw new NoSuchElementException();
    ClipRef r = next;
    next = null;
    return r;
  }

  @Override
  public abstract void close();

  /**
   * Opens --input. {@code pathColumn} may be null (auto); {@code extensions} filters a directory
   * walk.
   */
  public static Manifest open(String input, Format format, String pathColumn, Set<String> extensions,
                              InputStream stdin) throws IOException {
    if (input.equals("-")) {
      return detect(reader(stdin), format, Path.of("").toAbsolutePath(), pathColumn, "stdin");
    }
    if (isUri(input) && !input.startsWith("file:")) {
      throw new ManifestException("--input " + input + ": a manifest must be a local file, a directory or -"
          + " (the clips it lists may be s3:// or http(s)://)");
    }
    Path path;
    try {
      path = (input.startsWith("file:") ? Path.of(java.net.URI.create(input)) : Path.of(input)).toAbsolutePath().normalize();
    } catch (IllegalArgumentException e) {
      throw new ManifestException("--input " + printable(input) + ": not a path (" + printable(e.getMessage()) + ")", e);
    }
    if (Files.isDirectory(path) && (format == Format.AUTO || format == Format.DIRECTORY)) {
      return new DirectoryManifest(path, extensions);
    }
    if (!Files.isRegularFile(path)) throw new ManifestException("--input " + input + ": no such file or directory");
    BufferedReader reader = reader(Files.newInputStream(path));
    if (format == Format.AUTO) {
      String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
      if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) format = Format.JSONL;
      else if (name.endsWith(".csv")) format = Format.CSV;
      else if (name.endsWith(".tsv")) return csv(reader, path.getParent(), pathColumn, '\t', path.toString());
    }
    return detect(reader, format, path.getParent(), pathColumn, path.toString());
  }

  private static Manifest detect(BufferedReader reader, Format format, Path base, String pathColumn, String what) {
    try {
      return detectOrThrow(reader, format, base, pathColumn, what);
    } catch (IOException e) {
      closeQuietly(reader);
      throw new ManifestException("cannot read " + what + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeQuietly(reader);
      throw e instanceof ManifestException m ? m : new ManifestException(what + ": " + e.getMessage(), e);
    }
  }

  private static Manifest detectOrThrow(BufferedReader reader, Format format, Path base, String pathColumn,
                                        String what) throws IOException {
    if (format == Format.AUTO) {
      reader.mark(MAX_LINE + (1 << 16));
      String first;
      do {
        first = reader.readLine();
      } while (first != null && first.isBlank());
      try {
        reader.reset();
      } catch (IOException e) {
        throw new ManifestException("cannot tell the format of " + what + ": too many blank lines before the first"
            + " entry; name it with --format", e);
      }
      if (first == null) format = Format.LINES;
      else if (first.stripLeading().startsWith("{")) format = Format.JSONL;
      else if (looksLikeCsvHeader(first, pathColumn)) format = Format.CSV;
      else format = Format.LINES;
    }
    return switch (format) {
      case JSONL -> new JsonlManifest(reader, base, pathColumn);
      case CSV -> csv(reader, base, pathColumn, ',', what);
      case LINES -> new LinesManifest(reader, base);
      default -> throw new ManifestException(what + " is not a directory");
    };
  }

  private static Manifest csv(BufferedReader reader, Path base, String pathColumn, char separator, String what) {
    try {
      return new CsvManifest(reader, base, pathColumn, separator);
    } catch (IOException | RuntimeException e) {
      closeQuietly(reader);
      throw new ManifestException("cannot read the CSV header of " + what + ": " + e.getMessage(), e);
    }
  }

  /** The longest line a manifest may have: a manifest line names one clip, and memory stays bounded. */
  static final int MAX_LINE = 1 << 20;

  private static BufferedReader reader(InputStream in) {
    return new BufferedReader(new LineLimit(new InputStreamReader(in, StandardCharsets.UTF_8)), 1 << 16);
  }

  /** Fails a read once a line runs past {@link #MAX_LINE} characters (a binary file given as manifest). */
  private static final class LineLimit extends java.io.FilterReader {
    private long sinceNewline;

    LineLimit(java.io.Reader in) {
      super(in);
    }

    @Override
    public int read(char[] buf, int off, int len) throws IOException {
      int n = super.read(buf, off, len);
      for (int i = off; i < off + n; i++) {
        if (buf[i] == '\n' || buf[i] == '\r') sinceNewline = 0;
        else if (++sinceNewline > MAX_LINE) throw new IOException("a line is longer than " + MAX_LINE + " characters");
      }
      return n;
    }

    @Override
    public int read() throws IOException {
      char[] one = new char[1];
      return read(one, 0, 1) < 0 ? -1 : one[0];
    }
  }

  private static boolean looksLikeCsvHeader(String line, String pathColumn) {
    if (!line.contains(",")) return false;
    for (String cell : line.split(",")) {
      String c = cell.strip().replace("\"", "").toLowerCase(Locale.ROOT);
      if (pathColumn != null ? c.equals(pathColumn.toLowerCase(Locale.ROOT)) : PATH_COLUMNS.contains(c)) return true;
    }
    return false;
  }

  /** scheme://... with an RFC 3986 scheme (s3, https, gs, file, ...). */
  static boolean isUri(String s) {
    int colon = s.indexOf("://");
    if (colon <= 0 || !Character.isLetter(s.charAt(0))) return false;
    return s.substring(0, colon).chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.');
  }

  /**
   * A local path made absolute against the manifest's directory; URIs stay as they are.
   *
   * @throws ManifestException when it is neither (a NUL character, a malformed file: URI)
   */
  public static String resolve(Path base, String pathOrUri) {
    String s = pathOrUri.strip();
    try {
      if (isUri(s)) return s.startsWith("file://") ? Path.of(java.net.URI.create(s)).toString() : s;
      Path p = Path.of(s);
      return (p.isAbsolute() ? p : base.resolve(p)).normalize().toString();
    } catch (IllegalArgumentException e) { // InvalidPathException too
      String why = e instanceof java.nio.file.InvalidPathException ip ? ip.getReason() : e.getMessage();
      throw new ManifestException("not a local path or URI: " + printable(s) + " (" + printable(why) + ")", e);
    }
  }

  /** Resolves the entry of a line, naming the line when it cannot be. */
  private static String resolveAt(Path base, String pathOrUri, long line) {
    try {
      return resolve(base, pathOrUri);
    } catch (ManifestException e) {
      throw new ManifestException("line " + line + ": " + e.getMessage(), e);
    }
  }

  /** Text for a one-line message: control characters shown as '?', at most 200 characters. */
  static String printable(String s) {
    if (s == null) return "";
    String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
    return t.codePoints().map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
  }

  // ---- formats ---------------------------------------------------------------------------

  private static final class LinesManifest extends Manifest {
    private final BufferedReader reader;
    private final Path base;

    LinesManifest(BufferedReader reader, Path base) {
      this.reader = reader;
      this.base = base;
    }

    @Override
    protected ClipRef read() throws IOException {
      String s;
      while ((s = reader.readLine()) != null) {
        line++;
        String t = s.strip();
        if (t.isEmpty() || t.startsWith("#")) continue;
        return new ClipRef(t, resolveAt(base, t, line), Map.of());
      }
      return null;
    }

    @Override
    public void close() {
      closeQuietly(reader);
    }
  }

  private static final class JsonlManifest extends Manifest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedReader reader;
    private final Path base;
    private final String pathColumn;

    JsonlManifest(BufferedReader reader, Path base, String pathColumn) {
      this.reader = reader;
      this.base = base;
      this.pathColumn = pathColumn;
    }

    @Override
    protected ClipRef read() throws IOException {
      String s;
      while ((s = reader.readLine()) != null) {
        line++;
        if (s.isBlank()) continue;
        JsonNode node;
        try {
          node = JSON.readTree(s);
        } catch (IOException e) {
          throw new ManifestException("line " + line + " is not JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (!(node instanceof ObjectNode obj)) throw new ManifestException("line " + line + " is not a JSON object");
        Map<String, String> columns = new LinkedHashMap<>();
        for (var it = obj.properties().iterator(); it.hasNext(); ) {
          var e = it.next();
          JsonNode v = e.getValue();
          columns.put(e.getKey(), v.isNull() ? null : v.isValueNode() ? v.asText() : v.toString());
        }
        return toRef(columns, base, pathColumn, line);
      }
      return null;
    }

    @Override
    public void close() {
      closeQuietly(reader);
    }
  }

  private static final class CsvManifest extends Manifest {
    private final BufferedReader reader;
    private final Iterator<Map<String, String>> rows;
    private final Path base;
    private final String pathColumn;

    CsvManifest(BufferedReader reader, Path base, String pathColumn, char separator) throws IOException {
      this.reader = reader;
      this.base = base;
      this.pathColumn = pathColumn;
      CsvMapper mapper = new CsvMapper();
      mapper.enable(CsvParser.Feature.TRIM_SPACES).enable(CsvParser.Feature.SKIP_EMPTY_LINES);
      CsvSchema schema = CsvSchema.emptySchema().withHeader().withColumnSeparator(separator);
      this.rows = mapper.readerForMapOf(String.class).with(schema).readValues(reader);
      line = 1;
    }

    @Override
    protected ClipRef read() {
      try {
        if (!rows.hasNext()) return null;
        line++;
        return toRef(new LinkedHashMap<>(rows.next()), base, pathColumn, line);
      } catch (RuntimeException e) {
        if (e instanceof ManifestException) throw e;
        throw new ManifestException("CSV line " + line + ": " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      closeQuietly(reader);
    }
  }

  private static ClipRef toRef(Map<String, String> columns, Path base, String pathColumn, long line) {
    String column = pathColumn;
    if (column == null) {
      for (String c : PATH_COLUMNS) {
        if (columns.get(c) != null) {
          column = c;
          break;
        }
      }
    }
    String path = column == null ? null : columns.remove(column);
    if (path == null || path.isBlank()) {
      throw new ManifestException("line " + line + " has no " + (pathColumn != null ? "'" + pathColumn + "'"
          : "path column (one of " + PATH_COLUMNS + "; name yours with --path-column)"));
    }
    String key = columns.containsKey("key") && columns.get("key") != null ? columns.remove("key") : path.strip();
    return new ClipRef(key, resolveAt(base, path, line), columns);
  }

  /**
   * A recursive walk in a background thread, handing files over a small queue: the walk and
   * the run overlap, and only the queue is in memory.
   */
  private static final class DirectoryManifest extends Manifest {
    private static final ClipRef END = new ClipRef("", "", Map.of());
    private final BlockingQueue<ClipRef> queue = new ArrayBlockingQueue<>(4096);
    private final Thread walker;
    private volatile IOException failure;
    private volatile boolean closed;

    DirectoryManifest(Path root, Set<String> extensions) {
      walker = Thread.ofPlatform().daemon().name("vidmill-walk").start(() -> {
        try {
          Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (closed) return FileVisitResult.TERMINATE;
              String name = file.getFileName().toString();
              int dot = name.lastIndexOf('.');
              if (attrs.isRegularFile() && dot > 0
                  && extensions.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) {
                put(new ClipRef(root.relativize(file).toString(), file.toString(), Map.of()));
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) {
              return FileVisitResult.CONTINUE; // unreadable subfolders are skipped, not fatal
            }
          });
        } catch (IOException e) {
          failure = e;
        } finally {
          put(END);
        }
      });
    }

    private void put(ClipRef ref) {
      try {
        while (!closed && !queue.offer(ref, 100, TimeUnit.MILLISECONDS)) {
          // the run is behind: wait
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    protected ClipRef read() throws IOException {
      try {
        ClipRef r = queue.take();
        if (r == END) {
          if (failure != null) throw failure;
          return null;
        }
        line++;
        return r;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    @Override
    public void close() {
      closed = true;
      walker.interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // reading is over
    }
  }

  /** Non-blank lines of a manifest file, read fast: the clip count for progress and ETA
   * (a CSV header or comment lines make it a slight overestimate). */
  public static long countLines(Path manifest) {
    try (InputStream in = Files.newInputStream(manifest)) {
      byte[] buf = new byte[1 << 16];
      long lines = 0;
      int n;
      boolean sawContent = false;
      while ((n = in.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            if (sawContent) lines++;
            sawContent = false;
          } else if (buf[i] != '\r' && buf[i] != ' ') {
            sawContent = true;
          }
        }
      }
      return sawContent ? lines + 1 : lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
