package ai.hiformer.schemas;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * What a client in any language needs to write or read one topic's records: the schema, its
 * fingerprint, and the 10 bytes every record starts with (Avro single-object encoding: the marker
 * {@code C3 01}, then the fingerprint, little-endian). The fingerprint is CRC-64-AVRO of the
 * schema's parsing canonical form, as the Avro specification defines it; a library that computes it
 * from its own reading of the {@code .avsc} may get another number (Debian's Python avro 1.11 keeps
 * {@code {"type":"long"}} where the canonical form has {@code "long"}), so clients should write the
 * header given here rather than one their library computes.
 *
 * @param type the name on the command line ({@code hiformer schemas --type})
 * @param topic the topic (configuration key) whose records have this format
 */
public record WireFormat(String type, String topic, Schema schema, Supplier<WireCodec<?>> codec) {

  /** The four formats, in topic order: events, labels, scores, dead letters. */
  public static final List<WireFormat> ALL =
      List.of(
          new WireFormat("event", "topics.events", Event.getClassSchema(), WireCodec::events),
          new WireFormat("label", "topics.labels", Label.getClassSchema(), WireCodec::labels),
          new WireFormat("score", "topics.scores", Score.getClassSchema(), WireCodec::scores),
          new WireFormat(
              "dead-letter",
              "topics.dead-letters",
              DeadLetter.getClassSchema(),
              WireCodec::deadLetters));

  /** The format named {@code type}; an error naming the allowed ones otherwise. */
  public static WireFormat of(String type) {
    for (WireFormat f : ALL) {
      if (f.type.equals(type)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "invalid type = '"
            + type
            + "'; allowed: "
            + String.join(", ", ALL.stream().map(WireFormat::type).toList()));
  }

  /** CRC-64-AVRO of the parsing canonical form. */
  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /** The 10 bytes every record starts with: {@code C3 01} and the fingerprint, little-endian. */
  public byte[] header() {
    return ByteBuffer.allocate(10)
        .order(ByteOrder.LITTLE_ENDIAN)
        .put((byte) 0xC3)
        .put((byte) 0x01)
        .putLong(fingerprint())
        .array();
  }

  /**
   * Whether {@code record} can be read as this format, and if not why, as the job's dead letter
   * would say; a header with another fingerprint is named, with the one expected.
   *
   * @return null when the record decodes, else the reason
   */
  public String check(byte[] record) {
    try {
      codec.get().decode(record);
      return null;
    } catch (WireCodec.DecodeException e) {
      byte[] expected = header();
      if (record != null
          && record.length >= 10
          && record[0] == expected[0]
          && record[1] == expected[1]) {
        long found = ByteBuffer.wrap(record, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (found != fingerprint()) {
          return String.format(
              Locale.ROOT,
              "%s (its header names fingerprint %s, %s's is %s: write the header %s)",
              e.getMessage(),
              hexLittleEndian(found),
              schema.getName(),
              hexLittleEndian(fingerprint()),
              HexFormat.of().formatHex(expected));
        }
      }
      return e.getMessage();
    }
  }

  private static String hexLittleEndian(long fingerprint) {
    return HexFormat.of()
        .formatHex(
            ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(fingerprint).array());
  }
}
