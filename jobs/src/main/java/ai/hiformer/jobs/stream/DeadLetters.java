package ai.hiformer.jobs.stream;

import ai.hiformer.schemas.DeadLetter;
import ai.hiformer.schemas.WireCodec;
import java.nio.ByteBuffer;
import org.apache.flink.util.OutputTag;

/**
 * The dead-letter side output and its record: source position, reason and the raw bytes, kept
 * whole.
 */
public final class DeadLetters {
  public static final OutputTag<byte[]> TAG =
      new OutputTag<>(
          "dead-letters",
          org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo
              .BYTE_PRIMITIVE_ARRAY_TYPE_INFO);

  private static final WireCodec<DeadLetter> CODEC = WireCodec.deadLetters();

  private DeadLetters() {}

  public static byte[] encode(String topic, int partition, long offset, String reason, byte[] raw) {
    return CODEC.encode(
        DeadLetter.newBuilder()
            .setSourceTopic(topic)
            .setPartition(partition)
            .setOffset(offset)
            .setReason(reason)
            .setRaw(ByteBuffer.wrap(raw == null ? new byte[0] : raw))
            .build());
  }
}
