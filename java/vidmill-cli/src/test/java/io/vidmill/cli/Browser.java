package io.vidmill.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * Debian's headless Chromium through its chromedriver (packages chromium and chromium-driver;
 * .ci/run installs them). Nothing is downloaded: the browser and driver are named explicitly,
 * so Selenium Manager never runs. Tests skip with a message where they are absent.
 */
final class Browser implements AutoCloseable {
  static final Path CHROMIUM = Path.of(System.getProperty("vidmill.chromium", "/usr/bin/chromium"));
  static final Path DRIVER = Path.of(System.getProperty("vidmill.chromedriver", "/usr/bin/chromedriver"));

  final ChromeDriver driver;

  private Browser(ChromeDriver driver) {
    this.driver = driver;
  }

  static void assumeInstalled() {
    Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
        "no headless Chromium: install Debian's chromium and chromium-driver (" + CHROMIUM + ", " + DRIVER
            + "; .ci/run does) to test the report in a browser");
  }

  static Browser start(Path profile, int width, int height) throws IOException {
    assumeInstalled();
    ChromeOptions o = new ChromeOptions();
    o.setBinary(CHROMIUM.toFile());
    o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + Files.createDirectories(profile),
        "--window-size=" + width + "," + height, "--force-device-scale-factor=1");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    o.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort().withLogOutput(System.err).build();
    return new Browser(new ChromeDriver(service, o));
  }

  /** Opens a local file and waits until the report says it has drawn itself. */
  void open(Path file) {
    driver.get(file.toUri().toString());
    long deadline = System.nanoTime() + 30_000_000_000L;
    while (!"true".equals(js("return document.body && document.body.getAttribute('data-rendered')"))) {
      if (System.nanoTime() > deadline) throw new AssertionError("the page never finished drawing; console: " + console());
      sleep(50);
    }
  }

  Object js(String script, Object... args) {
    return driver.executeScript(script, args);
  }

  /** The console lines (and page errors) since the last call. */
  List<LogEntry> console() {
    return driver.manage().logs().get(LogType.BROWSER).getAll();
  }

  /** The whole page as a PNG: the window is made as tall as the page first. */
  Path screenshot(Path file, int width) throws IOException {
    long height = ((Number) js("return Math.ceil(document.documentElement.scrollHeight)")).longValue();
    driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, (int) Math.min(height, 12000)));
    sleep(300); // the charts redraw at the new size
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.createDirectories(file.getParent());
    Files.copy(shot.toPath(), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return file;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    driver.quit();
  }
}
