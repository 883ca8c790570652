package ai.hiformer.features.snapshot;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.Param;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;

/**
 * A model's dense weights as deltas and model updates carry them: {@code int P, P × (int size,
 * double[size])}, in the model's parameter order (values only: readers score, they do not train).
 */
public final class DenseWeights {
  private DenseWeights() {}

  public static void write(CtrModel model, DataOutputStream out) throws IOException {
    List<Param> params = model.params().all();
    out.writeInt(params.size());
    for (Param p : params) {
      out.writeInt(p.size());
      BigEndianArrays.writeDoubles(out, p.value());
    }
  }

  /**
   * Overwrites the model's dense weights with what {@link #write} wrote, then tells the model they
   * changed.
   *
   * @throws IOException naming {@code what} when the parameters do not match the model
   */
  public static void read(DataInputStream in, CtrModel model, String what) throws IOException {
    List<Param> params = model.params().all();
    if (in.readInt() != params.size()) {
      throw new IOException(what + ": dense parameters do not match the model");
    }
    for (Param p : params) {
      if (in.readInt() != p.size()) {
        throw new IOException(what + ": parameter " + p.name() + " does not match the model");
      }
      BigEndianArrays.readDoubles(in, p.value());
    }
    model.params().weightsChanged();
  }
}
