package io.vidmill.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A TCP proxy on loopback that passes requests through at full speed and responses at a
 * limited rate: slow storage, for real, between a client and a server.
 */
public final class ThrottlingProxy implements AutoCloseable {
  private final ServerSocket server;
  private volatile int bytesPerSecond;
  private volatile boolean closed;

  public ThrottlingProxy(int targetPort, int bytesPerSecond) throws IOException {
    this.bytesPerSecond = bytesPerSecond;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().start(() -> {
      while (!closed) {
        try {
          Socket client = server.accept();
          Socket upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
          Thread.ofPlatform().daemon().start(() -> pump(client, upstream, false));
          Thread.ofPlatform().daemon().start(() -> pump(upstream, client, true));
        } catch (IOException e) {
          return;
        }
      }
    });
  }

  public int port() {
    return server.getLocalPort();
  }

  public void setRate(int bytesPerSecond) {
    this.bytesPerSecond = bytesPerSecond;
  }

  private void pump(Socket from, Socket to, boolean throttle) {
    byte[] buf = new byte[4096];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) > 0) {
        out.write(buf, 0, n);
        out.flush();
        if (throttle) Thread.sleep(Math.max(1, 1000L * n / bytesPerSecond));
      }
    } catch (IOException | InterruptedException e) {
      // one side closed
    } finally {
      try {
        from.close();
        to.close();
      } catch (IOException e) {
        // done
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
  }
}
