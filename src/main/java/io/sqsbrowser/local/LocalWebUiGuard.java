package io.sqsbrowser.local;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.io.network.netty.InboundChannelHandlerFactory;
import org.apache.flink.shaded.netty4.io.netty.buffer.Unpooled;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelFutureListener;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelHandler;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelHandlerContext;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelInboundHandlerAdapter;
import org.apache.flink.shaded.netty4.io.netty.channel.ChannelPipeline;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.DefaultFullHttpResponse;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.FullHttpResponse;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpHeaderNames;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpMethod;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpRequest;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpResponseStatus;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpServerCodec;
import org.apache.flink.shaded.netty4.io.netty.handler.codec.http.HttpVersion;
import org.apache.flink.shaded.netty4.io.netty.util.ReferenceCountUtil;

/**
 * LOCAL ONLY: the Flink web UI of the local stack answers this machine's own callers only, as every local server does
 * ({@link LocalCallers}): a request for another {@code Host} (DNS rebinding) or from a page of another origin is refused
 * with a 403 before Flink's handlers see it. Flink adds the handlers of every {@link InboundChannelHandlerFactory} it
 * finds (a service of this project's classpath, never of the job jar) to its REST server's pipeline; this one acts only
 * where the local stack asks for it ({@link #configure}). Jar upload and run are off (Flink then has no such routes);
 * Flink's cancel and rescale switches only hide the UI's buttons, so a web page's request other than GET or HEAD is
 * refused here, the UI's own page included. CORS names only the UI's own origin. This machine's own programs (curl,
 * the Flink CLI) keep the REST API.
 */
public final class LocalWebUiGuard implements InboundChannelHandlerFactory {
    static final ConfigOption<Boolean> ENABLED = ConfigOptions.key("sqsbrowser.local.web-ui-guard").booleanType()
            .defaultValue(false).withDescription("The local stack's guard of Flink's web UI against other web pages.");
    private static final String NAME = "sqs-browser-local-web-ui-guard";

    /**
     * Sets up a local Flink web UI on 127.0.0.1:{@code port} that only this machine's own callers can use, and only to
     * look; request bodies Flink keeps on disk go to {@code uploadDir}.
     */
    public static void configure(Configuration flink, int port, java.nio.file.Path uploadDir) {
        flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        flink.set(RestOptions.ADDRESS, "127.0.0.1");
        flink.set(RestOptions.PORT, port);
        flink.set(WebOptions.SUBMIT_ENABLE, false);
        flink.set(WebOptions.CANCEL_ENABLE, false);
        flink.set(WebOptions.RESCALE_ENABLE, false);
        flink.set(WebOptions.ACCESS_CONTROL_ALLOW_ORIGIN, "http://127.0.0.1:" + port);
        flink.set(WebOptions.UPLOAD_DIR, uploadDir.toString());
        flink.set(ENABLED, true);
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public Optional<ChannelHandler> createHandler(Configuration configuration, Map<String, String> responseHeaders) {
        return configuration.get(ENABLED) ? Optional.of(new Guard()) : Optional.empty();
    }

    /** Refuses a foreign caller's request, with whatever body follows it; passes every other on. One per connection. */
    private static final class Guard extends ChannelInboundHandlerAdapter {
        private boolean dropping;

        /**
         * Flink adds this handler behind its upload handler, which writes a multipart body to disk before passing the
         * request on: a foreign page's upload would reach the disk before being refused. So it moves in right behind
         * the HTTP decoder, where it sees each request's head before any of its body.
         */
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ChannelPipeline pipeline = ctx.pipeline();
            if (!ctx.name().equals(NAME)) {
                pipeline.remove(this);
                pipeline.addAfter(pipeline.context(HttpServerCodec.class).name(), NAME, new Guard());
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest) {
                Map<String, String> headers = new HashMap<>();
                ((HttpRequest) msg).headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
                int port = ((InetSocketAddress) ctx.channel().localAddress()).getPort();
                String refused = new LocalCallers(port, LocalCallers.loopbackOrigins(port)).refusal(headers);
                if (refused == null && fromAWebPage(headers) && !looks(((HttpRequest) msg).method())) {
                    refused = "the local Flink web UI takes no action for a web page, its own included";
                }
                if (refused != null) {
                    dropping = true;
                    refuse(ctx, refused);
                }
            }
            if (dropping) {
                ReferenceCountUtil.release(msg);
            } else {
                ctx.fireChannelRead(msg);
            }
        }

        /** Browsers say where a request comes from; this machine's own programs (curl, the Flink CLI) do not. */
        private static boolean fromAWebPage(Map<String, String> headers) {
            return headers.containsKey("origin") || headers.containsKey("sec-fetch-site");
        }

        private static boolean looks(HttpMethod method) {
            return method.equals(HttpMethod.GET) || method.equals(HttpMethod.HEAD);
        }

        private static void refuse(ChannelHandlerContext ctx, String why) {
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.FORBIDDEN,
                    Unpooled.copiedBuffer(why, StandardCharsets.UTF_8));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
