package ai.hiformer.model.nn;

/**
 * Told by an {@link EmbeddingTable} of each change to its rows as it happens, so that whoever
 * follows the table's changes (what to save, publish or ship next) keeps its own record of them.
 * The table keeps none itself: a table nobody follows pays nothing for tracking.
 */
public interface RowChanges {
  /** Follows nothing. */
  RowChanges NONE =
      new RowChanges() {
        @Override
        public void changed(int id) {}

        @Override
        public void reserved(int from, int to) {}
      };

  /** Row {@code id} was trained, created or re-initialised. */
  void changed(int id);

  /**
   * The listener this one passes every change on to (one put in front of another, {@link
   * EmbeddingTable#changes()}), or null.
   */
  default RowChanges next() {
    return null;
  }

  /**
   * Rows {@code [from, to)} were materialised without values, for a restore that overwrites them
   * from saved state.
   */
  void reserved(int from, int to);
}
