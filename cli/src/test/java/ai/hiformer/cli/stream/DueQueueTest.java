package ai.hiformer.cli.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DueQueueTest {
  @Test
  void givesItemsInTheOrderOfASortedQueueThroughInterleavedAddsAndRemoves() {
    DueQueue queue = new DueQueue();
    PriorityQueue<long[]> expected =
        new PriorityQueue<>(
            Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[1]));
    SplittableRandom random = new SplittableRandom(3);
    for (int round = 0; round < 20_000; round++) {
      if (random.nextInt(3) > 0 || expected.isEmpty()) {
        long due = random.nextLong(500); // many ties
        long item = random.nextLong(1_000_000);
        queue.add(due, item);
        expected.add(new long[] {due, item});
      } else {
        long[] first = expected.poll();
        assertEquals(first[0], queue.firstDue());
        assertEquals(first[1], queue.firstItem());
        queue.removeFirst();
      }
      assertEquals(expected.size(), queue.size());
    }
    while (!expected.isEmpty()) {
      long[] first = expected.poll();
      assertEquals(first[0], queue.firstDue());
      assertEquals(first[1], queue.firstItem());
      queue.removeFirst();
    }
    assertTrue(queue.isEmpty());
  }

  @Test
  void anEmptyQueueRefusesToGiveAFirstItem() {
    DueQueue queue = new DueQueue();
    assertThrows(IllegalStateException.class, queue::firstDue);
    assertThrows(IllegalStateException.class, queue::removeFirst);
  }
}
