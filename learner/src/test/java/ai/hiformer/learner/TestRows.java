package ai.hiformer.learner;

import ai.hiformer.features.io.JsonLinesReader;
import ai.hiformer.features.io.Row;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Feature rows the learner's tests feed: a user, an item and a price, as a JSON event reads. */
final class TestRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TestRows() {}

  /**
   * The event {@code {"user": "u<user>", "item": "i<item>", "price": <price>}} named {@code
   * origin}.
   */
  static Row userItemPrice(int user, int item, int price, String origin) throws Exception {
    return JsonLinesReader.of(
        JSON.readTree(
            "{\"user\": \"u" + user + "\", \"item\": \"i" + item + "\", \"price\": " + price + "}"),
        origin);
  }
}
