package ai.hiformer.cli.stream;

import java.util.Arrays;

/**
 * Items due at a time, first due first (ties: smaller item first): a binary heap over two primitive
 * arrays. The load generator queues every positive label here at tens of thousands a second; a
 * {@code PriorityQueue} of small arrays spent more of its thread comparing through a lambda and
 * chasing pointers than the labels cost to send. Not thread-safe.
 */
final class DueQueue {
  private long[] due = new long[1024];
  private long[] items = new long[1024];
  private int size;

  boolean isEmpty() {
    return size == 0;
  }

  int size() {
    return size;
  }

  void add(long dueMillis, long item) {
    if (size == due.length) {
      due = Arrays.copyOf(due, 2 * size);
      items = Arrays.copyOf(items, 2 * size);
    }
    int at = size++;
    while (at > 0) {
      int parent = (at - 1) >>> 1;
      if (!before(dueMillis, item, due[parent], items[parent])) {
        break;
      }
      due[at] = due[parent];
      items[at] = items[parent];
      at = parent;
    }
    due[at] = dueMillis;
    items[at] = item;
  }

  /** The first item's due time; the queue must not be empty. */
  long firstDue() {
    requireItems();
    return due[0];
  }

  long firstItem() {
    requireItems();
    return items[0];
  }

  void removeFirst() {
    requireItems();
    size--;
    long d = due[size];
    long item = items[size];
    int at = 0;
    while (true) {
      int child = 2 * at + 1;
      if (child >= size) {
        break;
      }
      if (child + 1 < size && before(due[child + 1], items[child + 1], due[child], items[child])) {
        child++;
      }
      if (!before(due[child], items[child], d, item)) {
        break;
      }
      due[at] = due[child];
      items[at] = items[child];
      at = child;
    }
    due[at] = d;
    items[at] = item;
  }

  private void requireItems() {
    if (size == 0) {
      throw new IllegalStateException("the queue is empty");
    }
  }

  private static boolean before(long dueA, long itemA, long dueB, long itemB) {
    return dueA < dueB || (dueA == dueB && itemA < itemB);
  }
}
