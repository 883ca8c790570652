package ai.hiformer.jobs.operators;

import ai.hiformer.jobs.api.LearnerOptions;
import ai.hiformer.learner.ModelRuntime;
import ai.hiformer.model.train.PeerDelta;
import ai.hiformer.model.train.PeerExchange;
import ai.hiformer.model.train.PeerExchangeState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The learners of one model id exchanging what they learnt ({@code learn.parallelism} = K > 1), as
 * {@link ModelFunction} runs them: one {@link PeerExchange} per learner key, which this subtask
 * holds for the keys it owns.
 *
 * <p>A learner's key is its model id for learner 0, which alone publishes (updates, snapshots), so
 * one learner keeps the state layout and names of a model learnt by one; learner k > 0 is keyed
 * {@code modelId + U+001F + k}. Each learner sends after every {@code learn.sync-examples / K}
 * examples it trained, unless it still waits for the previous exchange; a learner restored from a
 * checkpoint first sends again what a peer may lack ({@link PeerExchange#toResend()}).
 */
public final class LearnerPeers {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LearnerPeers.class);

  /** Between a model id and a learner index in a learner's key (a control character). */
  static final char SEPARATOR = '\u001F';

  private final int learners;
  private final PeerExchange.Merge merge;
  private final long sendEvery;
  private long epoch;
  private final Map<String, Side> sides = new HashMap<>();

  /** One learner's exchange and what it has sent. */
  private static final class Side {
    final PeerExchange exchange;
    final List<PeerDelta> toSend = new ArrayList<>();
    long trainedAtSend;
    boolean flushWanted; // idle: send what was learnt since the last delta, however little
    long waitedOutFor; // the exchange a wait for peers ran out on: not waited for again
    long waitNanos; // time spent waiting for peers, in total
    long waitsRunOut;
    long deltasDelivered;
    long deltaMillis; // from a peer's send to its delivery here, summed

    Side(PeerExchange exchange) {
      this.exchange = exchange;
    }
  }

  /**
   * @param learners K ≥ 2
   * @param config its {@code learn.sync-examples} (examples of the whole stream between exchanges)
   *     and {@code learn.exchange} (what the learners merge)
   */
  LearnerPeers(int learners, LearnerOptions config) {
    this.learners = learners;
    this.merge = config.get(LearnerOptions.EXCHANGE);
    this.sendEvery = Math.max(1, config.get(LearnerOptions.SYNC_EXAMPLES) / learners);
  }

  /**
   * Learner {@code index}'s key of {@code learners} for {@code modelId}, under a learner operator
   * of {@code maxParallelism} key groups. Learner 0's key is the model id. Learner k's is the model
   * id, the separator and k, followed where needed by the separator and a salt: the first salt that
   * puts the key in key group g₀ + round(k · maxParallelism / learners), g₀ being learner 0's. A
   * subtask holds a contiguous range of key groups, so learners spaced that evenly run on distinct
   * subtasks whenever the operator has at least as many as there are learners (exactly so when
   * {@code learners} divides {@code maxParallelism}, as powers of two do): K learners on K threads,
   * not left to the hash. A key's group depends on {@code maxParallelism} only, fixed for a job's
   * life, so the keys and their state survive a rescale. Computed once per model ({@link
   * LearnerKeys}).
   */
  public static String key(String modelId, int index, int learners, int maxParallelism) {
    if (index == 0) {
      return modelId;
    }
    int first = KeyGroupRangeAssignment.assignToKeyGroup(modelId, maxParallelism);
    int target =
        (int) ((first + Math.round((double) index * maxParallelism / learners)) % maxParallelism);
    String key = modelId + SEPARATOR + index;
    for (int salt = 1;
        KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism) != target
            && salt <= 64 * maxParallelism;
        salt++) {
      key = modelId + SEPARATOR + index + SEPARATOR + salt;
    }
    return key;
  }

  static String modelIdOf(String key) {
    int at = key.indexOf(SEPARATOR);
    return at < 0 ? key : key.substring(0, at);
  }

  /**
   * {@code model} for learner 0 (or the only one), {@code model#k} for learner k: for logs and
   * metrics.
   */
  static String nameOf(String key) {
    int index = indexOf(key);
    return index == 0 ? key : modelIdOf(key) + '#' + index;
  }

  /**
   * Whether the learner of {@code key} publishes its model (updates, snapshots): learner 0, or the
   * only learner.
   */
  static boolean publishes(String key) {
    return key.indexOf(SEPARATOR) < 0;
  }

  static int indexOf(String key) {
    int at = key.indexOf(SEPARATOR);
    if (at < 0) {
      return 0;
    }
    int end = key.indexOf(SEPARATOR, at + 1);
    return Integer.parseInt(key.substring(at + 1, end < 0 ? key.length() : end));
  }

  /**
   * The epoch of this run of the job: the same in every learner, different after every restore
   * (from the job's id and the checkpoint it restored, 0 at a fresh start).
   */
  void epoch(long epoch) {
    this.epoch = epoch;
  }

  /**
   * Joins the runtime just built or restored for {@code key} to its peers.
   *
   * @param saved its exchange state from the same checkpoint as the runtime, or null (a new model)
   */
  void attach(String key, ModelRuntime runtime, byte[] saved) {
    PeerExchange exchange = new PeerExchange(runtime.learner(), indexOf(key), learners, merge);
    if (saved != null) {
      exchange.restore(PeerExchangeState.decode(saved));
    }
    exchange.epoch(epoch);
    Side side = new Side(exchange);
    side.trainedAtSend = runtime.trainedExamples();
    side.toSend.addAll(exchange.toResend());
    sides.put(key, side);
    LOG.info(
        "learner {} joins its peers at exchange {} ({}), epoch {}, {} deltas to send again",
        nameOf(key),
        exchange.applied(),
        exchange.waiting() ? "waiting for the next" : "not waiting",
        epoch,
        side.toSend.size());
  }

  /**
   * A peer's delta for {@code key}, sent at {@code sentMillis} (epoch ms): held, and every exchange
   * it completes applied.
   */
  void receive(String key, byte[] bytes, long sentMillis) {
    Side side = sides.get(key);
    side.deltasDelivered++;
    side.deltaMillis += Math.max(0, System.currentTimeMillis() - sentMillis);
    if (side.exchange.receive(PeerDelta.decode(bytes))) {
      side.exchange.applyReady();
    }
  }

  /**
   * After {@code runtime} learnt: its delta when one is due, and anything to send again, to {@code
   * out} as (model id, delta bytes).
   */
  void send(String key, ModelRuntime runtime, BiConsumer<String, byte[]> out) {
    Side side = sides.get(key);
    long learnt = runtime.trainedExamples() - side.trainedAtSend;
    // Idle, a learner sends what it has; and answers a peer that sent first even with nothing, or
    // the last exchanges of a stream would never complete. While its examples keep coming it sends
    // after its share of a period only, so that the exchanges do not follow the fastest learner
    // with
    // smaller deltas (docs/DESIGN.md, "Across a killed TaskManager").
    if (!side.exchange.waiting()
        && (learnt >= sendEvery || side.flushWanted && (learnt > 0 || side.exchange.awaited()))) {
      side.trainedAtSend = runtime.trainedExamples();
      side.flushWanted = false;
      side.toSend.add(side.exchange.send());
      // The peers' deltas of this exchange may all be held already: then it completes now, and
      // not a round trip later, when a peer's next delta would have prompted the check.
      side.exchange.applyReady();
    }
    if (!side.toSend.isEmpty()) {
      String modelId = modelIdOf(key);
      for (PeerDelta d : side.toSend) {
        out.accept(modelId, d.encode());
      }
      side.toSend.clear();
    }
  }

  /**
   * {@code key}'s learner is idle: what it learnt since its last delta is sent now, or as soon as
   * the exchange it waits for is applied (a peer's delta arrives), so that the tail of a stream is
   * merged too.
   */
  void flush(String key, ModelRuntime runtime, BiConsumer<String, byte[]> out) {
    sides.get(key).flushWanted = true;
    send(key, runtime, out);
  }

  /**
   * After a peer's delta reached {@code key}'s learner: its own delta if due; when it is {@code
   * idle} (no event will start its idle clock again) and the peer waits for it, its answer now.
   */
  void answer(String key, ModelRuntime runtime, boolean idle, BiConsumer<String, byte[]> out) {
    if (idle && sides.get(key).exchange.awaited()) {
      flush(key, runtime, out);
    } else {
      send(key, runtime, out);
    }
  }

  /**
   * Whether {@code key}'s learner has work for an idle flush: something learnt its peers have not
   * been sent, or a peer that waits for its answer.
   */
  boolean idleWork(String key, ModelRuntime runtime) {
    Side side = sides.get(key);
    return runtime.trainedExamples() > side.trainedAtSend || side.exchange.awaited();
  }

  /**
   * Whether {@code key}'s learner is a whole exchange period ahead: it has learnt its share of a
   * period since it sent the exchange it still waits for, and has not yet waited that exchange out.
   * Learning on would make its model staler than the period {@code learn.sync-examples} promises.
   */
  boolean ahead(String key, ModelRuntime runtime) {
    Side side = sides.get(key);
    return side.exchange.waiting()
        && runtime.trainedExamples() - side.trainedAtSend >= sendEvery
        && side.waitedOutFor != side.exchange.applied() + 1;
  }

  /** Whether {@code key}'s learner still lacks learner {@code peer}'s delta of its exchange. */
  boolean lacks(String key, int peer) {
    return sides.get(key).exchange.lacks(peer);
  }

  /**
   * Records a wait of {@code key}'s learner for its peers; one that {@code ranOut} is not repeated
   * for the same exchange (a peer that slow is waited for once per exchange, not once per record).
   */
  void waited(String key, long nanos, boolean ranOut) {
    Side side = sides.get(key);
    side.waitNanos += nanos;
    if (ranOut) {
      side.waitsRunOut++;
      side.waitedOutFor = side.exchange.applied() + 1;
    }
  }

  /** The mean time from a peer's send to its delta's delivery to {@code key}'s learner, ms. */
  double deliveryMillis(String key) {
    Side side = sides.get(key);
    return side.deltasDelivered == 0 ? 0 : (double) side.deltaMillis / side.deltasDelivered;
  }

  /** Milliseconds {@code key}'s learner has waited for its peers in this run. */
  long waitedMillis(String key) {
    return sides.get(key).waitNanos / 1_000_000;
  }

  /** Waits of {@code key}'s learner that ran out before its peers' deltas came. */
  long waitsRunOut(String key) {
    return sides.get(key).waitsRunOut;
  }

  /** {@code key}'s exchange state for its checkpoint. */
  byte[] state(String key) {
    return sides.get(key).exchange.state().encode();
  }

  /** {@code key}'s exchange (for tests). */
  PeerExchange exchange(String key) {
    return sides.get(key).exchange;
  }

  /** Exchanges {@code key}'s learner has applied. */
  long applied(String key) {
    return sides.get(key).exchange.applied();
  }

  long mergedExamples(String key) {
    return sides.get(key).exchange.mergedExamples();
  }
}
