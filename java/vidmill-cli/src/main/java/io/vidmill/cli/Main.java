package io.vidmill.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vidmill.nativelib.Layouts;
import io.vidmill.nativelib.NativeLibrary;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code vidmill} command. */
@Command(
    name = "vidmill",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Reads, decodes and processes video clips, fast and correct to the frame.",
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
        "0:every clip succeeded",
        "1:some clips failed (one ERROR line each on stderr)",
        "2:bad command line",
        "3:fatal: vidmill itself cannot run (native library, I/O on outputs)"})
public final class Main {
  public static final int EXIT_OK = 0;
  public static final int EXIT_CLIPS_FAILED = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_FATAL = 3;

  private Main() {}

  public static void main(String[] args) {
    // Loading FFmpeg and libvidmill takes a tenth of a second or more: start it now, beside
    // parsing the command line (class initialisation makes a second caller wait, not reload).
    // Every command needs it: `run` starts its decoding processes through it too.
    preloadNative();
    System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
  }

  private static void preloadNative() {
    Thread.ofPlatform().daemon().name("vidmill-native-load").start(() -> {
      NativeLibrary.isAvailable();
      // then what a run's start needs next, made ready here beside the command-line parsing
      // instead of after it (some 0.1 s on two cores): the struct layouts, the virtual-thread
      // scheduler of the fetch stage, Jackson (run.json, the journal)
      Layouts.CLIP_INFO.byteSize();
      try {
        Thread.startVirtualThread(() -> { }).join();
        ObjectMapper json = new ObjectMapper();
        json.writeValueAsString(json.createObjectNode().put("warm", 1));
      } catch (InterruptedException | java.io.IOException e) {
        // only time is at stake
      }
    });
  }

  /** Runs the command line with the given streams; returns the exit status. */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = commandLine(out, err, args);
    int rc = cmd.execute(args);
    out.flush();
    err.flush();
    return rc;
  }

  /**
   * The subcommands, in the order usage lists them, made when they are needed (see {@link
   * #command}): picocli builds a command's model by reflection as it is added, some 0.2 s for
   * all of them on a 2-core machine, against a run's start of under a second.
   */
  private static final java.util.List<String> COMMANDS =
      java.util.List.of("demo", "run", "report", "probe", "framemd5", "frames", "bench", "version", "help");

  // a switch, not a table of constructor references: the JDK 25 AOT cache's assembly fails on
  // lambdas held in static fields of this class
  private static Object command(String name) {
    return switch (name) {
      case "demo" -> new DemoCommand();
      case "run" -> new RunCommand();
      case "report" -> new ReportCommand();
      case "probe" -> new ProbeCommand();
      case "framemd5" -> new FrameMd5Command();
      case "frames" -> new FramesCommand();
      case "bench" -> new BenchCommand();
      case "version" -> new VersionCommand();
      case "help" -> new CommandLine.HelpCommand();
      default -> throw new IllegalArgumentException(name);
    };
  }

  /**
   * The command line as {@link #run} executes it for {@code args}: streams and error handling
   * set. A command named first is the only one built; otherwise (no command, help, options, a
   * misspelt name) all are, for the usage and the suggestions.
   */
  static CommandLine commandLine(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = new CommandLine(new Main());
    String only = args.length > 0 && COMMANDS.contains(args[0]) && !args[0].equals("help") ? args[0] : null;
    // before the settings below: picocli applies them to the subcommands there are at the time
    for (String name : COMMANDS) {
      if (only == null || only.equals(name)) cmd.addSubcommand(name, command(name));
    }
    // picocli's own conversion would show the exception's class in the usage error
    cmd.registerConverter(java.nio.file.Path.class, Main::path);
    // no @argument-files: a clip named @x.mp4 is a clip, not a list of arguments (and an @ that
    // names a directory was a stack trace)
    cmd.setExpandAtFiles(false);
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setExecutionExceptionHandler((e, line, parsed) -> {
      // a bug: say what it is and where, not just its (often empty) message
      err.println("FATAL " + e);
      StackTraceElement[] at = e.getStackTrace();
      if (at.length > 0) err.println("  at " + at[0]);
      if (System.getenv("VIDMILL_DEBUG") != null) e.printStackTrace(err);
      return EXIT_FATAL;
    });
    return cmd;
  }

  private static java.nio.file.Path path(String s) {
    try {
      return java.nio.file.Path.of(s);
    } catch (java.nio.file.InvalidPathException e) {
      throw new CommandLine.TypeConversionException("not a path: " + e.getReason());
    }
  }

  /** Fails the command with EXIT_FATAL (and the loading steps) when libvidmill is missing. */
  static boolean requireNative(PrintWriter err) {
    if (NativeLibrary.isAvailable()) return true;
    err.println("FATAL " + NativeLibrary.unavailabilityCause().map(Throwable::getMessage).orElse("?"));
    return false;
  }

  /** The one-line form of a failed clip: {@code ERROR <CODE> <file>: <message>}. */
  static String errorLine(String code, String file, String message) {
    return "ERROR " + code + " " + file + ": " + message.replace('\n', ' ');
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {NativeLibrary.isAvailable() ? NativeLibrary.version()
          : "vidmill (native library unavailable)"};
    }
  }
}
