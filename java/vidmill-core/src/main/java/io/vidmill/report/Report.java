package io.vidmill.report;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vidmill.journal.Journal;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OUT/report.html: what a run did, in one self-contained page (charts, tables, thumbnails; no
 * network needed to view it). Built from the files in OUT alone, so it can be made again at any
 * time ({@code vidmill report OUT}) and covers every shard that wrote there.
 *
 * <p>The page is data plus code: the numbers travel as one JSON block that the page's script
 * draws with uPlot (bundled from its webjar). Nothing from the clips (keys, URIs, error
 * messages) is ever written as HTML: the JSON escapes {@code < > &}, the script puts text in
 * with {@code textContent}, and a Content-Security-Policy runs only the page's own two scripts
 * (by hash), loads nothing and sends nothing.
 */
public final class Report {
  private static final String UPLOT = "META-INF/resources/webjars/uplot/";
  private static final Pattern SLOT = Pattern.compile("@@([A-Z_]+)@@");

  /**
   * @param thumbnails how many clips the contact sheet samples (0: none; which ones: {@link ContactSheet})
   * @param thumbnailer makes their pictures
   * @param thumbnailBudget the most time all thumbnails together may take
   */
  public record Options(int thumbnails, Thumbnailer thumbnailer, Duration thumbnailBudget) {
    public static final Options DEFAULTS = new Options(24, Thumbnailer.standard(), Duration.ofSeconds(60));

    public Options withThumbnailer(Thumbnailer t) {
      return new Options(thumbnails, t, thumbnailBudget);
    }
  }

  private Report() {}

  /** Writes OUT/report.html; returns its path. */
  public static Path write(Path out, Options options) throws IOException {
    return write(out, out.resolve("report.html"), options);
  }

  /** Writes the report of the run in {@code out} to {@code file} (atomically: the old one or the new one). */
  public static Path write(Path out, Path file, Options options) throws IOException {
    if (!Files.isRegularFile(out.resolve("run.json"))) {
      throw new IOException(out + " holds no vidmill run (no run.json)");
    }
    ObjectNode data = ReportData.collect(out.toAbsolutePath().normalize(), options);
    String html = html(data);
    Journal.writeAtomically(file, html);
    return file;
  }

  /** The page for the report data {@code data}. */
  static String html(ObjectNode data) throws IOException {
    String uplotJs = uplot("dist/uPlot.iife.min.js");
    String reportJs = resource("report.js");
    String css = uplot("dist/uPlot.min.css") + "\n" + resource("report.css");
    for (String script : new String[] {uplotJs, reportJs}) {
      // a script element ends at the first "</script" whatever the JavaScript around it says
      if (script.toLowerCase(java.util.Locale.ROOT).contains("</script")) {
        throw new IllegalStateException("a bundled script contains </script");
      }
    }
    String csp = "default-src 'none'; script-src " + hash(uplotJs) + " " + hash(reportJs) + "; style-src "
        + hash(css) + "; img-src data:; base-uri 'none'; form-action 'none'";
    Map<String, String> slots = Map.of("CSP", csp, "CSS", css, "DATA", json(data), "UPLOT", uplotJs,
        "SCRIPT", reportJs);
    Matcher m = SLOT.matcher(resource("report.html"));
    StringBuilder b = new StringBuilder();
    while (m.find()) {
      String v = slots.get(m.group(1));
      if (v == null) throw new IllegalStateException("report.html has an unknown slot " + m.group());
      m.appendReplacement(b, Matcher.quoteReplacement(v));
    }
    m.appendTail(b);
    return b.toString();
  }

  /**
   * JSON that is safe inside a script element whatever the strings hold: {@code <}, {@code >},
   * {@code &} and the JavaScript line separators become \\u escapes, so no "</script>" or
   * "<!--" can appear.
   */
  static String json(ObjectNode data) throws IOException {
    ObjectMapper m = new ObjectMapper();
    m.getFactory().setCharacterEscapes(new CharacterEscapes() {
      private final int[] codes;

      {
        codes = standardAsciiEscapesForJSON();
        codes['<'] = ESCAPE_CUSTOM;
        codes['>'] = ESCAPE_CUSTOM;
        codes['&'] = ESCAPE_CUSTOM;
      }

      @Override
      public int[] getEscapeCodesForAscii() {
        return codes;
      }

      @Override
      public SerializableString getEscapeSequence(int ch) {
        return switch (ch) {
          case '<', '>', '&', 0x2028, 0x2029 -> new SerializedString(String.format("\\u%04x", ch));
          default -> null;
        };
      }
    });
    return m.writeValueAsString(data).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029");
  }

  private static String hash(String inline) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(inline.getBytes(StandardCharsets.UTF_8));
      return "'sha256-" + Base64.getEncoder().encodeToString(d) + "'";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = Report.class.getResourceAsStream(name)) {
      if (in == null) throw new IllegalStateException("missing resource io/vidmill/report/" + name);
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A file of the uPlot webjar on the class path, whichever version the build bundled. */
  private static String uplot(String file) {
    ClassLoader cl = Report.class.getClassLoader();
    try (InputStream pom = cl.getResourceAsStream("META-INF/maven/org.webjars.npm/uplot/pom.properties")) {
      if (pom == null) throw new IllegalStateException("uPlot (org.webjars.npm:uplot) is not on the class path");
      Properties p = new Properties();
      p.load(pom);
      try (InputStream in = cl.getResourceAsStream(UPLOT + p.getProperty("version") + "/" + file)) {
        if (in == null) throw new IllegalStateException("uPlot's webjar has no " + file);
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
