package ai.hiformer.learner.eval;

import ai.hiformer.model.CtrModel;
import ai.hiformer.model.nn.EmbeddingTable;
import ai.hiformer.model.nn.Param;
import java.util.ArrayList;
import java.util.List;

/** A copy of a model's weights (dense parameters and embedding rows), to restore the best epoch. */
final class ModelState {
  private final List<double[]> dense = new ArrayList<>();
  private final List<float[]> rows = new ArrayList<>();

  static ModelState capture(CtrModel model) {
    ModelState s = new ModelState();
    for (Param p : model.params().all()) {
      s.dense.add(p.value().clone());
    }
    for (EmbeddingTable t : model.tables()) {
      s.rows.add(ai.hiformer.model.nn.RowCopies.values(t));
    }
    return s;
  }

  void restoreInto(CtrModel model) {
    List<Param> params = model.params().all();
    for (int i = 0; i < params.size(); i++) {
      System.arraycopy(dense.get(i), 0, params.get(i).value(), 0, dense.get(i).length);
    }
    model.params().weightsChanged();
    for (int i = 0; i < model.tables().size(); i++) {
      ai.hiformer.model.nn.RowCopies.restoreValues(model.tables().get(i), rows.get(i));
    }
  }
}
