package io.vidmill.decode;

/** What a batch asks for besides frame metadata (vm_want). */
public enum Want {
  /** The MD5 of each packed picture, computed natively. */
  MD5(1),
  /** The packed pictures themselves, copied into the batch's buffer. */
  PIXELS(2),
  /** The frame statistics ({@link Frame#stats()}), computed natively. */
  STATS(4);

  final int bit;

  Want(int bit) {
    this.bit = bit;
  }
}
