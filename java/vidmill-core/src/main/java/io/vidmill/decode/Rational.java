package io.vidmill.decode;

/** A fraction as FFmpeg keeps time bases and rates; 0/1 means unknown. */
public record Rational(int num, int den) {
  public static final Rational UNKNOWN = new Rational(0, 1);

  public boolean known() {
    return num != 0 && den != 0;
  }

  public double toDouble() {
    return den == 0 ? 0 : (double) num / den;
  }

  @Override
  public String toString() {
    return num + "/" + den;
  }
}
