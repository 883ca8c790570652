package ai.hiformer.serving;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scoring server: {@link ScoringApi} over HTTP/1.1 on Netty, optionally HTTPS, with the limits
 * of {@link ServerOptions}. Each of {@code threads} event-loop threads reads its connections'
 * requests, scores them and writes the answers; there is no queue in between: a connection's next
 * request is read only after its previous one is answered, a connection whose answers the client
 * does not read stops being read, and connections beyond {@code maxConnections} are closed. So slow
 * or stalled clients cost a connection slot each (until {@code requestTimeoutMillis}) and never a
 * scoring thread. Snapshots are reloaded every {@code reloadSeconds}.
 */
public final class ScoringServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringServer.class);

  private final ScoringApi api;
  private final EventLoopGroup acceptor;
  private final EventLoopGroup workers;
  private final Channel listening;
  private final SnapshotReloader reloader;
  private final ConnectionLimiter limiter;

  /**
   * Starts listening; throws if the port cannot be bound, the TLS files do not load or the token
   * file is unusable. The registry must hold at least one scorer per thread.
   */
  public ScoringServer(ModelRegistry registry, ServerOptions options, long reloadSeconds)
      throws IOException {
    if (registry.scorers() < options.get(ServerOptions.THREADS)) {
      throw new IllegalArgumentException(
          "invalid threads = "
              + options.get(ServerOptions.THREADS)
              + "; allowed: at most the "
              + "registry's scorers per model ("
              + registry.scorers()
              + ")");
    }
    this.api = new ScoringApi(registry, options);
    SslContext ssl = null;
    if (options.tls()) {
      try {
        ssl =
            SslContextBuilder.forServer(
                    options.get(ServerOptions.TLS_CERT).toFile(),
                    options.get(ServerOptions.TLS_KEY).toFile())
                .build();
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(
            "invalid tls-cert/tls-key = "
                + options.get(ServerOptions.TLS_CERT)
                + ", "
                + options.get(ServerOptions.TLS_KEY)
                + "; allowed: a PEM certificate chain and its unencrypted PKCS#8 PEM key ("
                + e.getMessage()
                + ")",
            e);
      }
    }
    registry.refresh();
    this.limiter =
        new ConnectionLimiter(options.get(ServerOptions.MAX_CONNECTIONS), api.connectionsRejected);
    SslContext tls = ssl;
    // Linux's epoll transport where its native library loads (fewer system calls per request), else
    // Java NIO.
    boolean epoll = Epoll.isAvailable();
    IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    acceptor = new MultiThreadIoEventLoopGroup(1, io);
    workers = new MultiThreadIoEventLoopGroup(options.get(ServerOptions.THREADS), io);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(acceptor, workers)
            .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 256)
            .childOption(ChannelOption.TCP_NODELAY, true)
            // A client that does not read its answers: past 256 KiB unsent, its connection stops
            // being read.
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(64 << 10, 256 << 10))
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ChannelPipeline p = ch.pipeline();
                    p.addLast(limiter);
                    if (tls != null) {
                      p.addLast(tls.newHandler(ch.alloc()));
                    }
                    RequestDeadline deadline =
                        new RequestDeadline(
                            options.get(ServerOptions.REQUEST_TIMEOUT_MS),
                            options.get(ServerOptions.IDLE_TIMEOUT_MS),
                            api.requestTimeouts);
                    p.addLast(deadline);
                    p.addLast(
                        new HttpServerCodec(
                            4096, options.get(ServerOptions.MAX_HEADER_BYTES), 8192));
                    p.addLast(
                        new BoundedAggregator(options.get(ServerOptions.MAX_BODY_BYTES), api));
                    p.addLast(new ApiHandler(api, deadline));
                  }
                });
    try {
      listening =
          bootstrap
              .bind(options.get(ServerOptions.BIND), options.get(ServerOptions.PORT))
              .sync()
              .channel();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdownGroups();
      throw new IOException(
          "interrupted while binding "
              + options.get(ServerOptions.BIND)
              + ":"
              + options.get(ServerOptions.PORT),
          e);
    } catch (RuntimeException e) {
      shutdownGroups();
      throw new IOException(
          "cannot listen on "
              + options.get(ServerOptions.BIND)
              + ":"
              + options.get(ServerOptions.PORT)
              + ": "
              + e,
          e);
    }
    reloader = new SnapshotReloader(registry, reloadSeconds);
    LOG.info(
        "scoring server on {}:{} ({}, {} threads{}{})",
        options.get(ServerOptions.BIND),
        port(),
        epoll ? "epoll" : "nio",
        options.get(ServerOptions.THREADS),
        options.tls() ? ", TLS" : "",
        options.get(ServerOptions.AUTH_TOKEN_FILE) != null ? ", bearer token" : "");
  }

  public int port() {
    return ((java.net.InetSocketAddress) listening.localAddress()).getPort();
  }

  /** Connections open now. */
  public int openConnections() {
    return limiter.open();
  }

  /** The API this server answers with (its counters are the server's /metrics). */
  public ScoringApi api() {
    return api;
  }

  @Override
  public void close() {
    reloader.close();
    listening.close().syncUninterruptibly();
    shutdownGroups();
  }

  private void shutdownGroups() {
    acceptor.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  static void write(
      ChannelHandlerContext ctx, ScoringApi.Reply reply, boolean keepAlive, HttpVersion version) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            version,
            HttpResponseStatus.valueOf(reply.status()),
            Unpooled.wrappedBuffer(reply.body()));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, reply.body().length);
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    if (version.equals(HttpVersion.HTTP_1_0)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    ctx.writeAndFlush(response);
  }

  /**
   * Aggregates a request's body up to the limit; a larger one gets the API's 413 and the connection
   * closes.
   */
  private static final class BoundedAggregator extends HttpObjectAggregator {
    private final ScoringApi api;
    private final int max;

    BoundedAggregator(int max, ScoringApi api) {
      super(max);
      this.max = max;
      this.api = api;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      write(
          ctx,
          api.refused(413, "request body larger than " + max + " bytes"),
          false,
          HttpVersion.HTTP_1_1);
    }
  }

  /** Hands each whole request to the API on the event loop and writes its answer. */
  private static final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final ScoringApi api;
    private final RequestDeadline deadline;

    ApiHandler(ScoringApi api, RequestDeadline deadline) {
      this.api = api;
      this.deadline = deadline;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      deadline.requestReceived();
      if (request.decoderResult().isFailure()) {
        Throwable cause = request.decoderResult().cause();
        ScoringApi.Reply reply =
            cause instanceof TooLongHttpHeaderException
                ? api.refused(431, "request headers too large")
                : cause instanceof TooLongHttpLineException
                    ? api.refused(414, "request line too long")
                    : cause instanceof TooLongFrameException
                        ? api.refused(413, "request too large")
                        : api.refused(400, "malformed HTTP request");
        write(ctx, reply, false, HttpVersion.HTTP_1_1);
        return;
      }
      String uri = request.uri();
      int query = uri.indexOf('?');
      String path = query < 0 ? uri : uri.substring(0, query);
      ScoringApi.Reply reply =
          api.handle(
              request.method().name(),
              path,
              request.headers().get(HttpHeaderNames.AUTHORIZATION),
              ByteBufUtil.getBytes(request.content()));
      write(ctx, reply, HttpUtil.isKeepAlive(request), request.protocolVersion());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.debug("closing connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
