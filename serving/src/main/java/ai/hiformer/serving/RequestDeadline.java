package ai.hiformer.serving;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounds how long a connection may hold the server: a request must arrive whole (request line,
 * headers and body) within {@code requestTimeoutMillis} of its first byte, else the client gets 408
 * and the connection is closed; between requests, a connection idle for {@code idleTimeoutMillis}
 * is closed. This defeats clients that send a header or a body slowly, or promise a body and never
 * send it. It sits below the HTTP codec (it sees bytes), so its 408 is written as raw bytes. One
 * instance per connection; runs on the connection's event loop only.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {
  private static final byte[] TIMEOUT_REPLY =
      ("HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
              + "Content-Length: 58\r\nConnection: close\r\n\r\n{\"error\": \"the request did not arrive within the timeout\"}")
          .getBytes(StandardCharsets.US_ASCII);

  private final long requestTimeoutMillis;
  private final long idleTimeoutMillis;
  private final AtomicLong timeouts;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> timer;
  private boolean inRequest;

  RequestDeadline(long requestTimeoutMillis, long idleTimeoutMillis, AtomicLong timeouts) {
    this.requestTimeoutMillis = requestTimeoutMillis;
    this.idleTimeoutMillis = idleTimeoutMillis;
    this.timeouts = timeouts;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    schedule(idleTimeoutMillis, this::idle);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!inRequest) {
      inRequest = true;
      schedule(requestTimeoutMillis, this::tooSlow);
    }
    ctx.fireChannelRead(msg);
  }

  /**
   * The HTTP layer has the whole request: from now on the connection is idle until its next
   * request.
   */
  void requestReceived() {
    inRequest = false;
    schedule(idleTimeoutMillis, this::idle);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  private void tooSlow() {
    if (inRequest && ctx.channel().isActive()) {
      timeouts.incrementAndGet();
      ctx.writeAndFlush(Unpooled.wrappedBuffer(TIMEOUT_REPLY))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void idle() {
    if (!inRequest) {
      ctx.close();
    }
  }

  private void schedule(long millis, Runnable action) {
    cancel();
    timer = ctx.executor().schedule(action, millis, TimeUnit.MILLISECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
