package ai.hiformer.features.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Reads the files a snapshot or delta manifest lists, so that a manifest cannot be turned against
 * its reader: only the names the format defines (no paths: nothing outside the version folder, no
 * {@code ..}), regular files only (no links, no devices such as {@code /dev/zero}), each at most
 * {@link #maxBytes()} long, checked before anything is allocated, then against its SHA-256. A file
 * that is missing and one that cannot be read give the same message, so that the reasons do not
 * reveal which files exist.
 */
final class ListedFiles {
  static final String MANIFEST = "manifest.json";
  static final String MANIFEST_CHECKSUM = "manifest.json.sha256";
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /**
   * {@code -Dhiformer.snapshot.max-bytes}: the largest file a snapshot or delta may hold (default 1
   * GiB).
   */
  static long maxBytes() {
    return Long.getLong("hiformer.snapshot.max-bytes", 1L << 30);
  }

  private ListedFiles() {}

  /**
   * @param files the manifest's {@code files} object: name → SHA-256 hex
   * @param allowed the names this format defines
   * @return the bytes of each listed file, by name
   */
  static Map<String, byte[]> read(Path dir, JsonNode files, Set<String> allowed)
      throws IOException {
    Map<String, byte[]> out = new HashMap<>();
    long ceiling = maxBytes();
    for (Map.Entry<String, JsonNode> f : (Iterable<Map.Entry<String, JsonNode>>) files::fields) {
      String name = f.getKey();
      if (!allowed.contains(name)) {
        throw new IOException(
            dir
                + ": the manifest lists '"
                + abbreviate(name)
                + "', which is not one of "
                + allowed);
      }
      Path p = dir.resolve(name);
      long size;
      if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || (size = sizeOrMinusOne(p)) < 0) {
        throw new IOException(dir + ": " + name + " is not a readable regular file of this folder");
      }
      if (size > ceiling) {
        throw new IOException(
            p
                + " is "
                + size
                + " bytes, above the ceiling of "
                + ceiling
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

  /**
   * A new, empty folder beside {@code target} to write a version into before it is moved into
   * place. Created with the process's umask (typically {@code rwxr-xr-x}), unlike {@code
   * Files.createTempDirectory}, which makes it {@code rwx------} and so unreadable to a server
   * running as another user.
   */
  static Path newStagingFolder(Path target) throws IOException {
    while (true) {
      Path tmp =
          target.resolveSibling(".tmp-" + target.getFileName() + "-" + java.util.UUID.randomUUID());
      try {
        return Files.createDirectory(tmp);
      } catch (java.nio.file.FileAlreadyExistsException e) {
        // a name taken by chance: draw another
      }
    }
  }

  /**
   * Moves the finished folder {@code from} to {@code target}, atomically where the file system can;
   * when {@code target} is there already, or another writer puts it there meanwhile (the same
   * content: versions and deltas are named by what they hold), {@code from} is deleted instead.
   *
   * @return whether {@code from} became {@code target}
   */
  static boolean moveIntoPlace(Path from, Path target) throws IOException {
    if (Files.isDirectory(target)) {
      ai.hiformer.features.io.Folders.deleteTree(from);
      return false;
    }
    try {
      Files.move(from, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    } catch (java.nio.file.AtomicMoveNotSupportedException e) {
      Files.move(from, target);
    } catch (java.nio.file.FileSystemException e) {
      if (!Files.isDirectory(target)) {
        throw e;
      }
      ai.hiformer.features.io.Folders.deleteTree(from); // another writer won the race
      return false;
    }
    return true;
  }

  /** The largest manifest read (it holds the feature spec and a few numbers). */
  static final long MAX_MANIFEST_BYTES = 16 << 20;

  /**
   * Reads a version folder's {@code manifest.json}, a regular file of at most {@link
   * #MAX_MANIFEST_BYTES}, and checks it against {@code manifest.json.sha256} beside it. Folders
   * written before that checksum existed have none and are read as they are.
   *
   * @param what "snapshot" or "delta", for the message when the manifest is missing
   */
  static JsonNode readManifest(Path dir, String what) throws IOException {
    Path manifest = dir.resolve(MANIFEST);
    long size;
    if (!Files.isRegularFile(manifest, LinkOption.NOFOLLOW_LINKS)
        || (size = sizeOrMinusOne(manifest)) < 0) {
      throw new IOException(dir + ": no " + MANIFEST + " (not a " + what + ", or a partial one)");
    }
    if (size > MAX_MANIFEST_BYTES) {
      throw new IOException(
          manifest
              + " is "
              + size
              + " bytes, above the "
              + MAX_MANIFEST_BYTES
              + " a manifest may be");
    }
    byte[] bytes = Files.readAllBytes(manifest);
    Path checksum = dir.resolve(MANIFEST_CHECKSUM);
    if (Files.exists(checksum, LinkOption.NOFOLLOW_LINKS)) {
      if (!Files.isRegularFile(checksum, LinkOption.NOFOLLOW_LINKS)
          || sizeOrMinusOne(checksum) > 256) {
        throw new IOException(dir + ": " + MANIFEST_CHECKSUM + " is not a small regular file");
      }
      if (!Files.readString(checksum, StandardCharsets.US_ASCII)
          .strip()
          .equals(ModelSnapshot.sha256(bytes))) {
        throw new IOException(manifest + ": checksum mismatch (corrupt, truncated or edited)");
      }
    }
    try {
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new IOException(manifest + ": unreadable manifest: " + e.getMessage());
    }
  }

  /** Writes {@code manifest.json} and its checksum into {@code dir}. */
  static void writeManifest(Path dir, JsonNode manifest) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(manifest);
    Files.write(dir.resolve(MANIFEST), bytes);
    Files.writeString(
        dir.resolve(MANIFEST_CHECKSUM),
        ModelSnapshot.sha256(bytes) + "\n",
        StandardCharsets.US_ASCII);
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
