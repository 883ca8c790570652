package ai.hiformer.jobs.stream;

import ai.hiformer.local.embedded.EmbeddedKafka;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Kafka broker (in-process, KRaft) for the tests of one class: started before them, closed
 * after.
 */
final class KafkaBroker implements BeforeAllCallback, AfterAllCallback {
  private EmbeddedKafka kafka;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    kafka = new EmbeddedKafka();
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    kafka.close();
  }

  EmbeddedKafka get() {
    return kafka;
  }
}
