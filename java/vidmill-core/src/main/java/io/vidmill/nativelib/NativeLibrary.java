package io.vidmill.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import io.vidmill.NativeUnavailableException;
import org.bytedeco.javacpp.Loader;

/**
 * Loads libvidmill, once per JVM, and says why when it cannot.
 *
 * <p>Order matters: FFmpeg's libraries come first, from the JavaCPP preset jar (JavaCPP
 * extracts them to its cache and loads them by path, in dependency order; later starts load
 * the same files directly); libvidmill, which has no RPATH of its own, then finds them already
 * loaded under their SONAMEs. A system FFmpeg is therefore never picked up, and the loaded
 * libavcodec is checked to be JavaCPP's.
 *
 * <p>libvidmill itself comes from this jar, extracted once to a cache directory named by its
 * hash, or from the path in the {@value #LIBRARY_PROPERTY} system property (a local build).
 * Every step is recorded; a failure message lists them all.
 */
public final class NativeLibrary {
  /** System property: path of a libvidmill.so to use instead of the one in the jar. */
  public static final String LIBRARY_PROPERTY = "vidmill.native.library";

  /** The ABI this code was written for; see VM_ABI_VERSION in vidmill.h. */
  public static final int ABI_VERSION = 2;

  private static final String RESOURCE = "/io/vidmill/native/linux-x86_64/libvidmill.so";
  /** The executable of decoding processes (vm_worker), extracted beside libvidmill. */
  private static final String WORKER_RESOURCE = "/io/vidmill/native/linux-x86_64/vidmill-worker";
  static final String WORKER = "vidmill-worker";

  private record State(SymbolLookup lookup, Path library, String version, Throwable cause,
                       List<String> steps, List<String> ffmpeg) {}

  /** FFmpeg's libraries and their own dependencies, in the order they must be loaded. */
  private static final List<String> LOAD_ORDER = List.of("libdrm.so", "libva.so", "libva-drm.so",
      "libavutil.so", "libswresample.so", "libavcodec.so", "libavformat.so", "libswscale.so", "libavfilter.so");

  // last: load() uses the constants above
  private static final State STATE = load();

  private NativeLibrary() {}

  /** Whether libvidmill and FFmpeg loaded and passed their version checks. */
  public static boolean isAvailable() {
    return STATE.cause == null;
  }

  /** Why the library is unavailable, with every loading step in the message. */
  public static Optional<Throwable> unavailabilityCause() {
    return Optional.ofNullable(STATE.cause);
  }

  /** "vidmill x (FFmpeg y, libavcodec z)" as the library reports it. */
  public static String version() {
    requireAvailable();
    return STATE.version;
  }

  /** Where libvidmill was loaded from. */
  public static Path libraryPath() {
    requireAvailable();
    return STATE.library;
  }

  /**
   * The decoding processes' executable (vm_worker_options.executable): next to the library it
   * runs, extracted with it from the jar.
   */
  public static Path workerExecutable() {
    requireAvailable();
    return STATE.library.resolveSibling(WORKER);
  }

  /**
   * The FFmpeg libraries this process loaded by path, in the order they were loaded: a
   * decoding process loads the very same files (vm_worker_options.preload).
   */
  public static List<String> ffmpegLibraries() {
    requireAvailable();
    return STATE.ffmpeg;
  }

  /** The loading steps, for diagnostics (`vidmill version`). */
  public static List<String> loadingSteps() {
    return STATE.steps;
  }

  static SymbolLookup lookup() {
    requireAvailable();
    return STATE.lookup;
  }

  /** Throws {@link NativeUnavailableException} when the library did not load. */
  public static void requireAvailable() {
    if (STATE.cause != null) {
      throw new NativeUnavailableException(STATE.cause.getMessage(), STATE.cause);
    }
  }

  private static State load() {
    List<String> steps = new ArrayList<>();
    try {
      String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
      String arch = System.getProperty("os.arch", "");
      if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
        throw new IllegalStateException("vidmill ships native code for linux-x86_64 only; this is "
            + os + "/" + arch);
      }
      Path library = libraryFile(steps);
      List<String> ffmpeg = loadFfmpeg(library.getParent().resolve("ffmpeg-libraries.txt"), steps);
      SymbolLookup lookup = SymbolLookup.libraryLookup(library, Arena.global());
      steps.add("opened " + library);
      int abi = Vidmill.vm_abi_version(lookup);
      if (abi != ABI_VERSION) {
        throw new IllegalStateException("libvidmill at " + library + " has ABI " + abi
            + " but this vidmill-core expects " + ABI_VERSION + ": rebuild both from one checkout");
      }
      String check = Vidmill.vm_runtime_check(lookup);
      if (check != null) {
        throw new IllegalStateException("FFmpeg version mismatch: " + check);
      }
      checkFfmpegOrigin(steps);
      String version = Vidmill.vm_version_string(lookup);
      steps.add("ready: " + version);
      return new State(lookup, library, version, null, List.copyOf(steps), List.copyOf(ffmpeg));
    } catch (Throwable t) {
      steps.add("FAILED: " + t);
      String message = "libvidmill is not available: " + t.getMessage()
          + "\n  loading steps:\n    " + String.join("\n    ", steps);
      return new State(null, null, null, new IllegalStateException(message, t), List.copyOf(steps), List.of());
    }
  }

  /**
   * The first time, through JavaCPP, which extracts the libraries of its jar to its cache; the
   * paths it loaded are then remembered next to libvidmill, and later starts load those very
   * files directly, skipping JavaCPP's slower machinery (a few hundred milliseconds per start).
   *
   * @return the files loaded, in order
   */
  private static List<String> loadFfmpeg(Path remembered, List<String> steps) throws IOException {
    if (Files.isRegularFile(remembered)) {
      List<String> paths = Files.readAllLines(remembered);
      try {
        for (String p : paths) System.load(p);
        steps.add("loaded FFmpeg from JavaCPP's cache, as remembered in " + remembered);
        return paths;
      } catch (UnsatisfiedLinkError e) {
        steps.add("remembered FFmpeg libraries did not load (" + e.getMessage() + "); asking JavaCPP");
      }
    }
    loadFfmpegWithJavaCpp(steps);
    List<String> loaded = mappedFfmpegLibraries();
    if (loaded.size() >= 6) {
      Path tmp = remembered.resolveSibling(remembered.getFileName() + "." + ProcessHandle.current().pid());
      Files.write(tmp, loaded);
      Files.move(tmp, remembered, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
    return loaded;
  }

  /** The FFmpeg libraries JavaCPP mapped into this process, in load order. */
  private static List<String> mappedFfmpegLibraries() throws IOException {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) return List.of();
    String cache = Loader.getCacheDir().toPath().toRealPath().toString();
    java.util.Set<String> mapped = new java.util.LinkedHashSet<>();
    for (String line : Files.readAllLines(maps)) {
      int slash = line.indexOf('/');
      if (slash >= 0 && line.startsWith(cache, slash)) mapped.add(line.substring(slash));
    }
    List<String> ordered = new ArrayList<>();
    for (String prefix : LOAD_ORDER) {
      for (String p : mapped) {
        String name = Path.of(p).getFileName().toString();
        if (name.startsWith(prefix) && !ordered.contains(p)
            && (name.length() == prefix.length() || name.charAt(prefix.length()) == '.')) {
          ordered.add(p);
        }
      }
    }
    return ordered;
  }

  private static void loadFfmpegWithJavaCpp(List<String> steps) {
    // avfilter pulls in swscale/swresample; avformat pulls in avcodec and avutil
    for (Class<?> c : List.<Class<?>>of(
        org.bytedeco.ffmpeg.global.avutil.class,
        org.bytedeco.ffmpeg.global.swresample.class,
        org.bytedeco.ffmpeg.global.avcodec.class,
        org.bytedeco.ffmpeg.global.avformat.class,
        org.bytedeco.ffmpeg.global.swscale.class,
        org.bytedeco.ffmpeg.global.avfilter.class)) {
      String path = Loader.load(c);
      steps.add("loaded FFmpeg " + c.getSimpleName() + " via JavaCPP: " + path);
    }
  }

  private static Path libraryFile(List<String> steps) throws IOException {
    String override = System.getProperty(LIBRARY_PROPERTY);
    if (override != null && !override.isBlank()) {
      Path p = Path.of(override).toAbsolutePath();
      if (!Files.isRegularFile(p)) {
        throw new IOException(LIBRARY_PROPERTY + "=" + override + " is not a file");
      }
      steps.add("using " + LIBRARY_PROPERTY + "=" + p + " (and the " + WORKER + " beside it)");
      return p;
    }
    Fingerprint lib = fingerprint(RESOURCE);
    String hash = sha256((lib.id() + "|" + fingerprint(WORKER_RESOURCE).id()).getBytes(StandardCharsets.UTF_8))
        .substring(0, 16);
    for (Path dir : cacheDirs()) {
      Path target = dir.resolve(hash).resolve("libvidmill.so");
      try {
        if (Files.isRegularFile(target) && Files.size(target) == lib.size()
            && Files.isExecutable(target.resolveSibling(WORKER))) {
          steps.add("found cached " + target);
          return target;
        }
        byte[] bytes = resource(RESOURCE);
        byte[] worker = resource(WORKER_RESOURCE);
        Files.createDirectories(target.getParent());
        // the executable first: a library in place says both are
        extract(worker, target.resolveSibling(WORKER), true);
        extract(bytes, target, false);
        steps.add("extracted " + RESOURCE + " and " + WORKER + " to " + target.getParent());
        return target;
      } catch (IOException e) {
        steps.add("cannot use cache " + dir + ": " + e.getMessage());
      }
    }
    throw new IOException("no writable directory to extract libvidmill.so to");
  }

  /** What tells one build of a native file from another, and its size. */
  private record Fingerprint(String id, long size) {}

  /**
   * The jar's own record of a file in it (its CRC-32 and size, from the jar's directory): a
   * start reads and hashes no megabytes when the extracted files are already in place. A class
   * directory (tests, IDEs) has no such record: there the file's bytes are hashed.
   */
  private static Fingerprint fingerprint(String name) throws IOException {
    java.net.URL url = NativeLibrary.class.getResource(name);
    if (url == null) resource(name); // says what is missing
    if ("jar".equals(url.getProtocol())) {
      String spec = url.getPath(); // file:/path/to.jar!/entry
      int bang = spec.indexOf("!/");
      try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(Path.of(java.net.URI.create(spec.substring(0, bang))).toFile())) {
        java.util.zip.ZipEntry e = jar.getEntry(spec.substring(bang + 2));
        if (e != null && e.getCrc() >= 0 && e.getSize() >= 0) {
          return new Fingerprint(Long.toHexString(e.getCrc()) + ":" + e.getSize(), e.getSize());
        }
      } catch (IllegalArgumentException e) {
        // not a plain file URI: hashed below
      }
    }
    byte[] bytes = resource(name);
    return new Fingerprint(sha256(bytes), bytes.length);
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = NativeLibrary.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("resource " + name + " is missing from the classpath "
            + "(was vidmill-core built with -Dvidmill.native.skip and no prebuilt library?)");
      }
      return in.readAllBytes();
    }
  }

  /** Writes {@code bytes} to {@code target} through a temporary file, so that no reader sees half of it. */
  private static void extract(byte[] bytes, Path target, boolean executable) throws IOException {
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, bytes);
      if (executable && !tmp.toFile().setExecutable(true, false)) {
        throw new IOException("cannot make " + tmp + " executable");
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  private static List<Path> cacheDirs() {
    List<Path> dirs = new ArrayList<>();
    String configured = System.getProperty("vidmill.cache.dir");
    if (configured != null) dirs.add(Path.of(configured, "native"));
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank()) dirs.add(Path.of(xdg, "vidmill", "native"));
    dirs.add(Path.of(System.getProperty("user.home"), ".cache", "vidmill", "native"));
    dirs.add(Path.of(System.getProperty("java.io.tmpdir"), "vidmill-" + System.getProperty("user.name"),
        "native"));
    return dirs;
  }

  /** The mapped libavcodec must be JavaCPP's: a system FFmpeg of the same major would load
   * silently otherwise, and differ in codecs and bugs. */
  private static void checkFfmpegOrigin(List<String> steps) throws IOException {
    Path maps = Path.of("/proc/self/maps");
    if (!Files.isReadable(maps)) return;
    Path cache = Loader.getCacheDir().toPath().toRealPath();
    for (String line : Files.readAllLines(maps)) {
      int slash = line.indexOf('/');
      if (slash < 0 || !line.endsWith("/libavcodec.so.61")) continue;
      Path mapped = Path.of(line.substring(slash)).toRealPath();
      if (!mapped.startsWith(cache)) {
        throw new IllegalStateException("libavcodec.so.61 was loaded from " + mapped
            + ", not from the JavaCPP cache " + cache);
      }
      steps.add("libavcodec mapped from " + mapped);
      return;
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
