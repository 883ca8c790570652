package ai.hiformer.local.embedded;

import java.util.SplittableRandom;

/**
 * The generated stream of {@link SyntheticStream} (same columns, same click model, {@code
 * specs/synthetic.json}) with vocabulary turnover, as a catalogue and an audience change over days:
 * users and items are drawn uniformly from windows of {@code liveUsers} and {@code liveItems}
 * consecutive ids that slide on by one id every {@code eventsPerNewId} events. New ids keep
 * arriving and old ones stop being seen, so a model whose vocabulary is bounded (the spec's {@code
 * embedding.capacity}) evicts them at the rate they arrive, and its size levels off. Each id's bias
 * is a function of the id, as in {@link IdStream}.
 */
public final class TurnoverStream {
  private final SyntheticStream base;
  private final SplittableRandom rng;
  private final long seed;
  private final int liveUsers;
  private final int liveItems;
  private final int eventsPerNewId;
  private long emitted;

  public TurnoverStream(long seed, int liveUsers, int liveItems, int eventsPerNewId) {
    if (liveUsers < 1 || liveItems < 1 || eventsPerNewId < 1) {
      throw new IllegalArgumentException(
          "live users, live items and events per new id must be >= 1");
    }
    this.seed = seed;
    this.base = new SyntheticStream(seed);
    this.rng = base.random();
    this.liveUsers = liveUsers;
    this.liveItems = liveItems;
    this.eventsPerNewId = eventsPerNewId;
  }

  /** Distinct users and items seen after {@code events} events (at most). */
  public long idsSeenAfter(long events) {
    return liveUsers + liveItems + 2 * (events / eventsPerNewId);
  }

  public SyntheticStream.Event next() {
    long oldest = emitted / eventsPerNewId;
    emitted++;
    int user = Math.toIntExact((oldest + rng.nextInt(liveUsers)) % Integer.MAX_VALUE);
    int item = Math.toIntExact((oldest + rng.nextInt(liveItems)) % Integer.MAX_VALUE);
    return base.draw(
        user, item, 0.4 * IdStream.gaussian(seed, 1, user), 0.6 * IdStream.gaussian(seed, 2, item));
  }
}
