package io.vidmill.fetch;

import io.vidmill.decode.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.OptionalLong;

/** http(s):// through the JDK's HTTP client (redirects followed, HTTP/2 when offered). */
final class HttpSource {
  private final HttpClient client;
  private final Duration timeout;

  HttpSource(Duration timeout) {
    this.timeout = timeout;
    this.client = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NORMAL)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }

  Fetched fetch(String uri, Fetcher fetcher, long deadlineNanos) throws FetchException, InterruptedException {
    HttpRequest request;
    try {
      Duration left = Duration.ofNanos(Math.max(1_000_000, deadlineNanos - System.nanoTime()));
      request = HttpRequest.newBuilder(URI.create(uri)).timeout(left.compareTo(timeout) < 0 ? left : timeout).GET().build();
    } catch (IllegalArgumentException e) {
      throw new FetchException(Status.NOT_FOUND, "not a valid URL", false, e);
    }
    try {
      HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = response.body()) {
        int code = response.statusCode();
        if (code == 404 || code == 410) throw new FetchException(Status.NOT_FOUND, "HTTP " + code, false, null);
        if (code == 401 || code == 403) throw new FetchException(Status.PERMISSION_DENIED, "HTTP " + code, false, null);
        if (code >= 400) throw new FetchException(Status.IO, "HTTP " + code, code >= 500 || code == 429, null);
        OptionalLong length = response.headers().firstValueAsLong("content-length");
        if (length.isPresent()) return fetcher.readStream(in, length.getAsLong(), uri, deadlineNanos);
        // no length announced: read it all (bounded by the budget and the deadline), then hand it over
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        var watchdog = Fetcher.closeAtDeadline(in, deadlineNanos);
        try {
          byte[] chunk = new byte[1 << 16];
          int n;
          while ((n = in.read(chunk)) > 0) {
            body.write(chunk, 0, n);
            if (body.size() > fetcher.budget().capacity()) {
              throw new FetchException(Status.TOO_LARGE, "response bigger than --max-bytes-in-flight", false, null);
            }
          }
        } catch (IOException e) {
          if (System.nanoTime() >= deadlineNanos) {
            throw new FetchException(Status.TIMEOUT, "reading took longer than the clip's time limit", false, e);
          }
          throw e;
        } finally {
          watchdog.cancel(false);
        }
        byte[] bytes = body.toByteArray();
        return fetcher.readStream(new java.io.ByteArrayInputStream(bytes), bytes.length, uri, deadlineNanos);
      }
    } catch (java.net.http.HttpTimeoutException e) {
      throw new FetchException(Status.TIMEOUT, "HTTP read took longer than the clip's time limit", false, e);
    } catch (IOException e) {
      throw new FetchException(Status.IO, "HTTP request failed: " + e.getMessage(), true, e);
    }
  }
}
