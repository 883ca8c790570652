package ai.hiformer.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.message.BadHeaderException;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Avro single-object encoding (a 2-byte marker, the writer schema's 8-byte fingerprint, then Avro
 * binary) for one record type. Readers resolve older writer schemas registered with {@link
 * #addWriterSchema} by Avro's evolution rules, so producers and the job can upgrade apart.
 *
 * @param <T> the generated record class
 */
public final class WireCodec<T extends SpecificRecordBase> {
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  public WireCodec(Schema schema) {
    SpecificData model = SpecificData.get();
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema);
  }

  public static WireCodec<Event> events() {
    return new WireCodec<>(Event.getClassSchema());
  }

  public static WireCodec<Label> labels() {
    return new WireCodec<>(Label.getClassSchema());
  }

  public static WireCodec<Score> scores() {
    return new WireCodec<>(Score.getClassSchema());
  }

  public static WireCodec<DeadLetter> deadLetters() {
    return new WireCodec<>(DeadLetter.getClassSchema());
  }

  /** Lets this reader decode data written with an older (or newer) compatible schema. */
  public WireCodec<T> addWriterSchema(Schema writer) {
    decoder.addSchema(writer);
    return this;
  }

  public byte[] encode(T record) {
    try {
      ByteBuffer buf = encoder.encode(record);
      byte[] out = new byte[buf.remaining()];
      buf.get(out);
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Decodes one record.
   *
   * @throws DecodeException naming what is wrong: not single-object encoded, an unknown writer
   *     schema, or a truncated or corrupt body
   */
  public T decode(byte[] bytes) throws DecodeException {
    if (bytes == null) {
      throw new DecodeException("empty record (null value)");
    }
    try {
      return decoder.decode(bytes);
    } catch (BadHeaderException e) {
      throw new DecodeException("not Avro single-object encoded: " + e.getMessage());
    } catch (MissingSchemaException e) {
      throw new DecodeException("written with an unknown schema: " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      throw new DecodeException("corrupt or truncated Avro body: " + e);
    }
  }

  /** A record that could not be decoded; the message is the dead-letter reason. */
  public static final class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;

    public DecodeException(String message) {
      super(message, null, false, false);
    }
  }
}
