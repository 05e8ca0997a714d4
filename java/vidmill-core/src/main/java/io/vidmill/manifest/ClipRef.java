package io.vidmill.manifest;

import java.util.Map;
import java.util.Objects;

/**
 * One clip to process, as the manifest names it.
 *
 * @param key the clip's identity in results, journal and sharding: the manifest's "key"
 *     column when it has one, else the URI as written
 * @param uri where the bytes are: an absolute local path, file://, s3:// or http(s)://
 * @param columns the manifest's other columns, passed through to the results (ordered)
 */
public record ClipRef(String key, String uri, Map<String, String> columns) {
  public ClipRef {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(uri, "uri");
    columns = columns == null ? Map.of() : columns;
  }
}
