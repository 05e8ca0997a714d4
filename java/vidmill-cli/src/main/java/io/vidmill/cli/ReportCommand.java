package io.vidmill.cli;

import io.vidmill.report.Report;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "report",
    description = {
        "Writes OUT/report.html from what a run left in OUT: throughput over time, where the time went,",
        "the settings and queues, failures with examples, what the clips are, a contact sheet.",
        "One self-contained file (no network needed to view it); all shards that wrote into OUT together.",
        "vidmill run writes it at the end by itself; this rebuilds it (after a resume, while shards run)."},
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {"0:the report was written", "2:bad command line", "3:OUT holds no run, or cannot be read"})
final class ReportCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "OUT", description = "The --out folder of a vidmill run.")
  Path out;

  @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Where the page goes (default: OUT/report.html).")
  Path file;

  @Option(names = "--thumbnails", paramLabel = "N", description = "Clips sampled for the contact sheet (default: 24; 0: none).")
  int thumbnails = Report.Options.DEFAULTS.thumbnails();

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    Report.Options d = Report.Options.DEFAULTS;
    try {
      Path written = Report.write(out, file != null ? file : out.resolve("report.html"),
          new Report.Options(Math.max(0, thumbnails), d.thumbnailer(), d.thumbnailBudget()));
      spec.commandLine().getOut().println("report: " + written);
      return Main.EXIT_OK;
    } catch (IOException e) {
      err.println("FATAL " + e.getMessage());
      return Main.EXIT_FATAL;
    }
  }
}
