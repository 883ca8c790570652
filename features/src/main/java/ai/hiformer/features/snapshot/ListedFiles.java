package ai.hiformer.features.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads the files a snapshot or delta manifest lists, so that a manifest cannot be turned against its reader:
 * only the names the format defines (no paths: nothing outside the version folder, no {@code ..}), regular files
 * only (no links, no devices such as {@code /dev/zero}), each at most {@link #maxBytes()} long, checked before
 * anything is allocated, then against its SHA-256. A file that is missing and one that cannot be read give the
 * same message, so that the reasons do not reveal which files exist.
 */
final class ListedFiles {
  /** {@code -Dhiformer.snapshot.max-bytes}: the largest file a snapshot or delta may hold (default 1 GiB). */
  static long maxBytes() {
    return Long.getLong("hiformer.snapshot.max-bytes", 1L << 30);
  }

  private ListedFiles() {}

  /**
   * @param files the manifest's {@code files} object: name → SHA-256 hex
   * @param allowed the names this format defines
   * @return the bytes of each listed file, by name
   */
  static Map<String, byte[]> read(Path dir, JsonNode files, Set<String> allowed) throws IOException {
    Map<String, byte[]> out = new HashMap<>();
    long ceiling = maxBytes();
    for (Map.Entry<String, JsonNode> f : (Iterable<Map.Entry<String, JsonNode>>) files::fields) {
      String name = f.getKey();
      if (!allowed.contains(name)) {
        throw new IOException(dir + ": the manifest lists '" + abbreviate(name) + "', which is not one of "
            + allowed);
      }
      Path p = dir.resolve(name);
      long size;
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || (size = sizeOrMinusOne(p)) < 0) {
        throw new IOException(dir + ": " + name + " is not a readable regular file of this folder");
      }
      if (size > ceiling) {
        throw new IOException(p + " is " + size + " bytes, above the ceiling of " + ceiling
            + " (hiformer.snapshot.max-bytes)");
      }
      byte[] bytes;
      try {
        bytes = Files.readAllBytes(p);
      } catch (IOException e) {
        throw new IOException(dir + ": " + name + " is not a readable regular file of this folder");
      }
      if (!ModelSnapshot.sha256(bytes).equals(f.getValue().asText())) {
        throw new IOException(p + ": checksum mismatch (corrupt or truncated)");
      }
      out.put(name, bytes);
    }
    return out;
  }

  private static long sizeOrMinusOne(Path p) {
    try {
      return Files.size(p);
    } catch (IOException e) {
      return -1;
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "…";
  }
}
