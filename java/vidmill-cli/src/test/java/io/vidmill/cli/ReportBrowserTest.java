package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vidmill.report.Report;
import io.vidmill.report.Thumbnailer;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.logging.LogEntry;

/**
 * The report of a real run (real clips, two broken files, one named like markup) in a real
 * headless Chromium: it draws without a console error, its charts and tables carry the run's
 * numbers, nothing from the clips turns into markup, nothing is loaded from anywhere; the
 * screenshots land in target/report-screenshots/.
 */
class ReportBrowserTest {
  static final Path SHOTS = Path.of("target", "report-screenshots");

  @TempDir static Path dir;
  static Path out;
  static Browser browser;
  static Map<String, Long> byStatus = new HashMap<>();
  static Map<String, Long> byCodec = new HashMap<>();
  static long frames;

  @BeforeAll
  static void runAndOpen() throws Exception {
    Browser.assumeInstalled();
    List<Path> good = SampleClips.make(dir.resolve("in"));
    out = dir.resolve("out");
    StringWriter log = new StringWriter();
    int rc = Main.run(new PrintWriter(log), new PrintWriter(log), "run", "-i", dir.resolve("in").toString(), "-o",
        out.toString(), "--workers", "2", "--progress", "off", "--commit-interval", "0.2");
    assertEquals(Main.EXIT_CLIPS_FAILED, rc, log.toString());
    assertThat(log.toString()).contains("report: " + out.toAbsolutePath().normalize().resolve("report.html"));
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement()) {
      String parts = out.resolve("clips/*.parquet").toString();
      try (ResultSet rs = s.executeQuery("SELECT status, count(*) FROM '" + parts + "' GROUP BY 1")) {
        while (rs.next()) byStatus.put(rs.getString(1), rs.getLong(2));
      }
      try (ResultSet rs = s.executeQuery("SELECT codec, count(*) FROM '" + parts + "' WHERE codec IS NOT NULL GROUP BY 1")) {
        while (rs.next()) byCodec.put(rs.getString(1), rs.getLong(2));
      }
      try (ResultSet rs = s.executeQuery("SELECT sum(frames_decoded) FROM '" + parts + "'")) {
        rs.next();
        frames = rs.getLong(1);
      }
    }
    assertEquals(Map.of("ok", (long) good.size(), "NOT_A_VIDEO", 2L), byStatus);
    browser = Browser.start(dir.resolve("chromium-profile"), 1280, 1000);
  }

  @AfterAll
  static void close() {
    if (browser != null) browser.close();
  }

  private static List<LogEntry> problems(List<LogEntry> console) {
    return console.stream().filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).toList();
  }

  private static long number(String script) {
    return ((Number) browser.js(script)).longValue();
  }

  @Test
  void theReportDrawsTheRunsNumbers() throws Exception {
    browser.open(out.resolve("report.html"));
    assertThat(problems(browser.console())).as("console errors and warnings").isEmpty();
    assertThat(browser.js("return document.title")).isEqualTo("vidmill report · out");

    // summary numbers up top
    long clips = byStatus.values().stream().mapToLong(Long::longValue).sum();
    assertEquals(clips, number("return +document.querySelector('[data-metric=clips]').dataset.value"));
    assertEquals(byStatus.get("ok"), number("return +document.querySelector('[data-metric=ok]').dataset.value"));
    assertEquals(2, number("return +document.querySelector('[data-metric=failed]').dataset.value"));
    assertEquals(frames, number("return +document.querySelector('[data-metric=frames]').dataset.value"));
    assertEquals(SampleClips.frames(), frames);

    // every chart drew on a canvas, with the run's numbers in it
    for (String chart : List.of("clips", "frames", "bytes", "stage_busy", "settings", "queues")) {
      assertThat(number("var c = document.querySelector('[data-chart=" + chart + "] canvas');"
          + " if (!c || !c.width) return 0; var d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
          + " var n = 0; for (var i = 3; i < d.length; i += 4) if (d[i]) n++; return n;"))
          .as("painted pixels of chart " + chart).isGreaterThan(1000);
    }
    assertEquals(clips, number("return +document.querySelector('[data-chart=clips]').dataset.clips"));
    double width = ((Number) browser.js("return vidmillReport.data.throughput.width_s")).doubleValue();
    double drawn = ((Number) browser.js("var d = vidmillReport.charts.clips.data[1], s = 0;"
        + " for (var i = 0; i < d.length; i++) s += d[i] || 0; return s;")).doubleValue();
    assertEquals(clips, drawn * width, 1e-6, "the clips/s curve integrates to the clips");
    assertEquals(frames, number("return +document.querySelector('[data-chart=frames]').dataset.frames"));
    assertEquals(2.0, ((Number) browser.js("var u = vidmillReport.charts.settings;"
        + " var i = u.series.findIndex(function (s) { return s.label === 'workers'; });"
        + " return u.data[i].find(function (v) { return v !== null; });")).doubleValue(), "the workers setting of the run");

    // tables: failures by code, codecs
    assertEquals(2, number("return +document.querySelector('#failures [data-code=NOT_A_VIDEO]').dataset.count"));
    byCodec.forEach((codec, n) -> assertEquals((long) n,
        number("return +document.querySelector('[data-hist=codec] [data-label=\"" + codec + "\"]').dataset.count"), codec));
    assertEquals(6, number("return document.querySelectorAll('#stages tr[data-stage]').length"), "5 stages and the total");
    // the run's own contact sheet: vidmill's thumbnails of every decoded clip, decoded by the browser
    long ok = byStatus.get("ok");
    assertEquals(ok, number("return document.querySelectorAll('#contact-sheet figure').length"));
    browser.js("document.querySelectorAll('#contact-sheet img').forEach(function (i) { i.loading = 'eager'; })");
    long deadline = System.nanoTime() + 10_000_000_000L;
    long decoded = 0;
    while (decoded < ok && System.nanoTime() < deadline) {
      decoded = number("return Array.from(document.querySelectorAll('#contact-sheet img')).filter(function (i) {"
          + " return i.complete && i.naturalWidth > 0 && i.naturalHeight === 108; }).length");
    }
    assertEquals(ok, decoded, "every thumbnail a JPEG the browser decodes, 108 pixels high");

    // the file named like markup is text, in the failures and nowhere as an element
    browser.js("document.querySelectorAll('#failures details').forEach(function (d) { d.open = true; })");
    assertThat(browser.js("return Array.from(document.querySelectorAll('#failures li .k')).map(function (e) {"
        + " return e.textContent; })")).asList().contains(SampleClips.EVIL_NAME);
    assertThat(browser.js("return typeof window.__pwned")).isEqualTo("undefined");
    assertEquals(ok, number("return document.querySelectorAll('main img').length"), "the thumbnails, and no other image");
    // self-contained: nothing was fetched
    assertEquals(0, number("return performance.getEntriesByType('resource').length"));

    Path shot = browser.screenshot(SHOTS.resolve("report.png"), 1280);
    BufferedImage png = ImageIO.read(shot.toFile());
    assertEquals(1280, png.getWidth());
    assertThat(png.getHeight()).isGreaterThan(1500);
    assertThat(problems(browser.console())).isEmpty();
  }

  @Test
  void theContactSheetShowsTheThumbnails() throws Exception {
    Thumbnailer fake = (key, uri, maxWidth) -> Optional.of(jpeg(key, maxWidth));
    Path page = Report.write(out, dir.resolve("with-thumbnails.html"), Report.Options.DEFAULTS.withThumbnailer(fake));
    browser.open(page);
    assertThat(problems(browser.console())).isEmpty();
    long ok = byStatus.get("ok");
    assertEquals(ok, number("return document.querySelectorAll('#contact-sheet figure').length"));
    // decoded by the browser: JPEGs of the size they were made
    long shown = 0;
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (shown < ok && System.nanoTime() < deadline) {
      browser.js("document.querySelectorAll('#contact-sheet img').forEach(function (i) { i.loading = 'eager'; })");
      shown = number("return Array.from(document.querySelectorAll('#contact-sheet img')).filter(function (i) {"
          + " return i.complete && i.naturalWidth === 192; }).length");
    }
    assertEquals(ok, shown);
    assertThat(browser.js("return document.querySelector('#contact-sheet figcaption .k').textContent")).asString()
        .startsWith("a_h264_0.mp4");
    browser.js("document.getElementById('contact-sheet').scrollIntoView()");
    browser.screenshot(SHOTS.resolve("report-contact-sheet.png"), 1280);
    assertThat(problems(browser.console())).isEmpty();
  }

  @Test
  void aRunWithoutResultsYetDrawsWithoutErrors() throws Exception {
    Path fresh = Files.createDirectories(dir.resolve("fresh"));
    Files.writeString(fresh.resolve("run.json"), "{\"vidmill_run\": 1, \"input\": \"m.txt\", \"shards\": 3}");
    browser.open(Report.write(fresh, Report.Options.DEFAULTS));
    assertThat(problems(browser.console())).isEmpty();
    assertEquals(0, number("return +document.querySelector('[data-metric=clips]').dataset.value"));
    assertThat(browser.js("return document.querySelector('.status-pill').textContent")).isEqualTo("in progress");
    assertThat(browser.js("return document.querySelector('#failures .empty').textContent")).isEqualTo("No clips yet.");
  }

  /** A 192×108 JPEG with the clip's key written on it, as a thumbnailer would make. */
  static byte[] jpeg(String key, int width) throws IOException {
    BufferedImage img = new BufferedImage(width, width * 9 / 16, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.getHSBColor((key.hashCode() & 0xff) / 255f, 0.55f, 0.85f));
    g.fillRect(0, 0, img.getWidth(), img.getHeight());
    g.setColor(Color.WHITE);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.drawString(key, 8, img.getHeight() / 2);
    g.dispose();
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    ImageIO.write(img, "jpeg", b);
    return b.toByteArray();
  }
}
