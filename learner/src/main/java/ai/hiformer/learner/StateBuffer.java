package ai.hiformer.learner;

import java.io.ByteArrayOutputStream;

/**
 * A byte stream whose array outlives each use: a learner writes its state head (megabytes of dense
 * weights and optimiser moments) at every checkpoint, and a fresh stream would grow by doubling and
 * fault in new pages each time. {@link #reset()} keeps the array; {@link #setIntAt} fills in a
 * length written ahead of its section, so a section goes straight into this stream without an array
 * of its own.
 */
final class StateBuffer extends ByteArrayOutputStream {
  StateBuffer() {
    super(1 << 16);
  }

  /** Overwrites the four bytes at {@code position} with {@code value}, big-endian. */
  void setIntAt(int position, int value) {
    if (position < 0 || position + 4 > count) {
      throw new IndexOutOfBoundsException(
          "position " + position + " is not inside the " + count + " bytes written");
    }
    buf[position] = (byte) (value >>> 24);
    buf[position + 1] = (byte) (value >>> 16);
    buf[position + 2] = (byte) (value >>> 8);
    buf[position + 3] = (byte) value;
  }
}
