package ai.hiformer.serving;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closes a new connection at once while {@code max} are open; shared by every connection of one
 * server.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {
  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong rejected;

  ConnectionLimiter(int max, AtomicLong rejected) {
    this.max = max;
    this.rejected = rejected;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (open.incrementAndGet() > max) {
      rejected.incrementAndGet();
      ctx.close(); // channelInactive follows and gives the slot back
      return;
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    open.decrementAndGet();
    ctx.fireChannelInactive();
  }

  /** Connections open now. */
  int open() {
    return open.get();
  }
}
