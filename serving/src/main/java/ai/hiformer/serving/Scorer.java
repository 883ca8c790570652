package ai.hiformer.serving;

import ai.hiformer.features.FeatureEncoder;
import ai.hiformer.features.io.BadRowException;
import ai.hiformer.features.io.Row;
import ai.hiformer.model.Batch;
import ai.hiformer.model.CtrModel;
import ai.hiformer.model.Loss;
import ai.hiformer.model.nn.EmbeddingTable;
import java.util.List;

/**
 * Scores events with one snapshot's model, up to {@link #CHUNK} at a time in one forward pass. Not
 * thread-safe (the network keeps its activations in scratch buffers): a {@link ServedModel} holds
 * one per scoring thread, each a read-only replica over the same weights, vocabularies and tables.
 *
 * <p>Scoring never changes the model: unseen values use the out-of-vocabulary row (the encoder is
 * read-only), and an id without a materialised embedding row (a hashed bucket the job never
 * trained, or a vocabulary that ran ahead of its table) is mapped to row 0 too, so a request can
 * neither grow a table nor reach past it.
 */
final class Scorer {
  /** Events per forward pass; a larger request is scored in chunks. */
  static final int CHUNK = 256;

  private final FeatureEncoder encoder;
  private final CtrModel model;
  private final List<EmbeddingTable> tables;
  private final Batch batch;
  private final int tasks;
  private final double[] probs;
  private final int[] slotOfBatchRow = new int[CHUNK];

  /**
   * @param encoder the model's encoder or a read-only view of it (its own scratch)
   * @param model the model or a read-only replica of it (its own activations)
   */
  Scorer(ai.hiformer.features.spec.FeatureSpec spec, FeatureEncoder encoder, CtrModel model) {
    this.encoder = encoder;
    this.model = model;
    this.tables = model.tables();
    this.tasks = spec.tasks().size();
    this.batch = spec.layout().newBatch(CHUNK, tasks);
    this.probs = new double[CHUNK * tasks];
  }

  /**
   * Scores {@code rows}: the probability of task k for row i goes to {@code out[i * tasks + k]}. A
   * row that cannot be encoded gets its reason in {@code errors[i]} (and NaN scores); the others
   * are scored.
   *
   * @param out (rows.size(), tasks), written
   * @param errors (rows.size()), written: null where the row was scored
   */
  void score(List<? extends Row> rows, double[] out, String[] errors) {
    int n = rows.size();
    for (int start = 0; start < n; start += CHUNK) {
      int end = Math.min(n, start + CHUNK);
      int size = 0;
      for (int i = start; i < end; i++) {
        try {
          encoder.encodeReadOnly(rows.get(i), batch, size);
          errors[i] = null;
          slotOfBatchRow[size++] = i;
        } catch (BadRowException e) {
          errors[i] = e.getMessage();
          java.util.Arrays.fill(out, i * tasks, (i + 1) * tasks, Double.NaN);
        }
      }
      if (size == 0) {
        continue;
      }
      batch.setSize(size);
      confineToTables(size);
      model.forward(batch, probs); // logits, made probabilities in place
      for (int i = 0; i < size * tasks; i++) {
        probs[i] = Loss.sigmoid(probs[i]);
      }
      for (int b = 0; b < size; b++) {
        System.arraycopy(probs, b * tasks, out, slotOfBatchRow[b] * tasks, tasks);
      }
    }
  }

  /**
   * Maps every id at or past its table's materialised rows to row 0 (the OOV row), so forward never
   * grows one.
   */
  private void confineToTables(int size) {
    if (tables.isEmpty()) {
      return;
    }
    int nCat = batch.nCat;
    for (int b = 0; b < size; b++) {
      for (int f = 0; f < nCat; f++) {
        int at = b * nCat + f;
        if (batch.cat[at] >= tables.get(f).rows()) {
          batch.cat[at] = 0;
        }
      }
    }
    int perRow = batch.nMulti * batch.maxMulti;
    for (int f = 0; f < batch.nMulti; f++) {
      int rows = tables.get(nCat + f).rows();
      for (int b = 0; b < size; b++) {
        int base = b * perRow + f * batch.maxMulti;
        for (int k = 0; k < batch.maxMulti; k++) {
          if (batch.multi[base + k] >= rows) {
            batch.multi[base + k] = 0; // 0 is padding: the value is left out of the field's mean
          }
        }
      }
    }
  }

  /** The model this scorer reads (the snapshot's, or a replica of it). */
  CtrModel model() {
    return model;
  }

  int tasks() {
    return tasks;
  }
}
