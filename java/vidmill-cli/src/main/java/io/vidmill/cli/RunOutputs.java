package io.vidmill.cli;

import io.vidmill.metrics.RunMetrics;
import io.vidmill.pipeline.Run;
import io.vidmill.pipeline.RunOptions;
import io.vidmill.report.ContactSheet;
import io.vidmill.report.Report;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * What {@code vidmill run} makes beside the results: live metrics (--metrics-port), and at the
 * end OUT/metrics[-SHARD].json and OUT/report.html. None of it may fail the run: the results
 * are what counts, so a report that cannot be written is a warning.
 */
final class RunOutputs implements AutoCloseable {
  /** The metrics server could not listen where it was told to. */
  static final class MetricsPortException extends IOException {
    MetricsPortException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final RunMetrics metrics;
  private final RunOptions options;
  private final ContactSheet.Pictures pictures; // null without a report

  private RunOutputs(RunMetrics metrics, RunOptions options, ContactSheet.Pictures pictures) {
    this.metrics = metrics;
    this.options = options;
    this.pictures = pictures;
  }

  /**
   * Starts observing {@code run}; serves /metrics when {@code port} is set. With {@code report},
   * the run keeps the contact sheet's pictures as it decodes, so that the report at the end
   * decodes only those it lacks.
   */
  static RunOutputs start(Run run, RunOptions options, boolean report, String host, Integer port, PrintWriter out)
      throws MetricsPortException {
    ContactSheet.Pictures pictures = report ? new ContactSheet.Pictures(Report.Options.DEFAULTS.thumbnails()) : null;
    if (pictures != null) run.keepPictures(pictures);
    RunMetrics metrics = new RunMetrics(run, options.shard().label());
    if (port != null) {
      metrics.withJvmMetrics();
      try {
        int bound = metrics.serve(host, port);
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
        out.println("metrics: http://" + shown + ":" + bound + "/metrics (Prometheus; listening on " + host + ")");
        out.flush();
      } catch (IOException | RuntimeException e) {
        metrics.close();
        throw new MetricsPortException("--metrics-port " + port + ": cannot listen on " + host + ":" + port + ": "
            + e.getMessage(), e);
      }
    }
    return new RunOutputs(metrics, options, pictures);
  }

  /**
   * After the run: its metrics file, and the report (also on the no-op rerun of a finished run,
   * when the report is missing or older than a summary). Returns the line that says where the
   * report went, or null.
   */
  String finish(Run.Summary s, boolean report, PrintWriter err) {
    Path out = Path.of(s.out());
    if (!s.alreadyComplete()) {
      try {
        metrics.writeJson(RunMetrics.file(out, options.shard()));
      } catch (IOException e) {
        err.println("WARN " + RunMetrics.file(out, options.shard()) + " not written: " + e.getMessage());
      }
    }
    if (!report) return null;
    Path file = out.resolve("report.html");
    try {
      if (s.alreadyComplete() && upToDate(out, file)) return null;
      Report.Options o = Report.Options.DEFAULTS;
      Report.write(out, pictures == null ? o : o.withThumbnailer(pictures.before(o.thumbnailer())));
      return "report: " + file;
    } catch (IOException | RuntimeException e) {
      err.println("WARN " + file + " not written: " + e.getMessage());
      return null;
    }
  }

  private static boolean upToDate(Path out, Path report) throws IOException {
    if (!Files.exists(report)) return false;
    FileTime written = Files.getLastModifiedTime(report);
    try (var summaries = Files.newDirectoryStream(out, "summary*.json")) {
      for (Path p : summaries) {
        if (Files.getLastModifiedTime(p).compareTo(written) > 0) return false;
      }
    }
    return true;
  }

  @Override
  public void close() {
    metrics.close();
  }
}
