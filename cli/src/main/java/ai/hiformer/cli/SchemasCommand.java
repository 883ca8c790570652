package ai.hiformer.cli;

import ai.hiformer.schemas.WireFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * {@code hiformer schemas}: the wire formats for clients in other languages (each topic's schema,
 * fingerprint and the 10-byte header every record starts with), and a check of a file of records
 * against one of them, record by record, with the reason the job would dead-letter each bad one.
 */
final class SchemasCommand extends OptionsCommand {
  static final String USAGE =
      """
      Usage: hiformer schemas [--type event|label|score|dead-letter] [--schema] [--check FILE]
        Without --check: each topic's format: its type, topic key, the fingerprint (CRC-64-AVRO of the schema's
        parsing canonical form) and the 10-byte header every record starts with (C3 01, then the fingerprint,
        little-endian; write these bytes, not a header your Avro library computes), then Avro binary.
        --schema also prints each schema (JSON), to give to an Avro library for the body.
        --check FILE --type T: FILE holds records of type T, one per line, in hex (or base64 after 'base64:');
        prints each bad record's line and the reason the job would dead-letter it; exit status 1 if any.
      """;

  SchemasCommand() {
    super(
        "schemas",
        "the wire formats and fingerprints, and a check of records against them",
        USAGE,
        Set.of("type", "check"),
        Set.of("schema"));
  }

  @Override
  protected int run(Options o) throws Exception {
    List<WireFormat> formats = o.has("type") ? List.of(format(o.get("type", ""))) : WireFormat.ALL;
    if (o.has("check")) {
      if (!o.has("type")) {
        throw new Options.UsageException("schemas: --check needs --type (event, label, ...)");
      }
      return check(formats.get(0), Path.of(o.get("check", "")));
    }
    for (WireFormat f : formats) {
      System.out.printf(
          "%-12s %-20s fingerprint %s  header %s%n",
          f.type(),
          f.topic(),
          String.format("%016x", f.fingerprint()),
          HexFormat.of().formatHex(f.header()));
      if (o.has("schema")) {
        System.out.println(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(f.schema().toString())
                .toPrettyString());
      }
    }
    return 0;
  }

  private static WireFormat format(String type) {
    try {
      return WireFormat.of(type);
    } catch (IllegalArgumentException e) {
      throw new Options.UsageException("schemas: " + e.getMessage());
    }
  }

  private static int check(WireFormat format, Path file) throws Exception {
    List<String> lines = Files.readAllLines(file);
    int bad = 0;
    int records = 0;
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty()) {
        continue;
      }
      records++;
      String reason;
      try {
        reason = format.check(decode(line));
      } catch (IllegalArgumentException e) {
        reason = "not hex or base64: " + e.getMessage();
      }
      if (reason != null) {
        bad++;
        System.out.printf("line %d: %s%n", i + 1, reason);
      }
    }
    System.out.printf(
        "%s: %d of %d %s records decode as the job decodes them%n",
        file, records - bad, records, format.type());
    return bad == 0 ? 0 : 1;
  }

  private static byte[] decode(String line) {
    return line.startsWith("base64:")
        ? Base64.getDecoder().decode(line.substring("base64:".length()))
        : HexFormat.of().parseHex(line);
  }
}
