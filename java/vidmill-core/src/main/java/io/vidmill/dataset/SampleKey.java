package io.vidmill.dataset;

import io.vidmill.shard.ClipHash;
import java.text.Normalizer;
import java.util.HexFormat;

/**
 * The name a clip's files get inside the dataset's tar shards: {@code SLUG-HASH}, where HASH is
 * the 32 hex digits of the clip key's 128-bit {@link ClipHash} (the hash the journal already
 * takes as a clip's identity, so two keys that are different clips never share a name) and
 * SLUG a readable rendering of the key: letters and digits of its ASCII transliteration, other
 * runs of characters as one '_', at most {@value #MAX_SLUG} characters (the end of the key,
 * where file names are, from a word's start), never starting or ending with '_' or '-'; "clip"
 * when nothing is left.
 *
 * <p>So a name has no '/', no '.', no '..', no leading dot or dash, no space, no character
 * outside {@code [A-Za-z0-9_-]}: it cannot leave the folder a tar is unpacked in, and
 * WebDataset (which splits a member name at its first dot into key and field) reads every
 * member of the clip under this one key. At most {@value #MAX_LENGTH} characters, so that
 * {@code KEY.NNNNNN.jpg} fits the 100 bytes of a plain tar name. The real key is in the
 * clip's {@code .json}.
 */
public final class SampleKey {
  /** Characters of the readable part at most. */
  public static final int MAX_SLUG = 48;
  /** Characters of a sample key at most. */
  public static final int MAX_LENGTH = MAX_SLUG + 1 + 32;

  private SampleKey() {}

  public static String of(String clipKey) {
    return of(clipKey, ClipHash.of(clipKey));
  }

  /** With the key's hash already at hand. */
  public static String of(String clipKey, ClipHash hash) {
    return slug(clipKey) + "-" + HexFormat.of().toHexDigits(hash.hi()) + HexFormat.of().toHexDigits(hash.lo());
  }

  static String slug(String key) {
    // "é" -> "e" + a combining mark, which then goes with the other non-ASCII characters
    String ascii = Normalizer.normalize(key, Normalizer.Form.NFKD);
    StringBuilder b = new StringBuilder(Math.min(ascii.length(), 4 * MAX_SLUG));
    boolean gap = false;
    for (int i = 0; i < ascii.length(); i++) {
      char c = ascii.charAt(i);
      if (c >= 0x300 && c <= 0x36f) continue; // combining diacritical marks
      boolean keep = c < 128 && (Character.isLetterOrDigit(c) || c == '-');
      if (keep) {
        if (gap && !b.isEmpty()) b.append('_');
        b.append(c);
        gap = false;
      } else {
        gap = true;
      }
    }
    String s = b.toString();
    if (s.length() > MAX_SLUG) {
      s = s.substring(s.length() - MAX_SLUG);
      // start at a word: "ared_media_clip" reads worse than "media_clip"
      boolean cutInWord = b.charAt(b.length() - MAX_SLUG - 1) != '_';
      int word = s.indexOf('_');
      if (cutInWord && word >= 0 && word < s.length() - 1) s = s.substring(word + 1);
    }
    s = trim(s);
    return s.isEmpty() ? "clip" : s;
  }

  private static String trim(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && (s.charAt(from) == '_' || s.charAt(from) == '-')) from++;
    while (to > from && (s.charAt(to - 1) == '_' || s.charAt(to - 1) == '-')) to--;
    return s.substring(from, to);
  }
}
