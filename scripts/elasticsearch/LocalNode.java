/*
 * Minimal launcher for one local Elasticsearch node, for tests and development only.
 *
 * Elasticsearch's own bootstrap (org.elasticsearch.bootstrap.Elasticsearch) expects the CLI launcher
 * process, a full distribution layout and refuses to run as root. This class skips all of that and
 * builds the node the way Elasticsearch's own test clusters do: settings -> Environment -> PluginsLoader
 * (modules found under <home>/modules) -> Node.start(). No security, no bootstrap checks, loopback only.
 *
 * Usage (start.sh does this): java --module-path <server jars> --add-modules ALL-MODULE-PATH -cp <classes>
 *        LocalNode <home> <data> <port> [key=value ...]
 */

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class LocalNode {
    private LocalNode() {}

    /** Plain console logging; start.sh sends the console to its log file. */
    private static final String LOG4J_CONFIG = """
        status = error
        appender.console.type = Console
        appender.console.name = console
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] %m%n
        rootLogger.level = info
        rootLogger.appenderRef.console.ref = console
        """;

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace();
            // last line of the log, which start.sh shows when the node does not come up
            System.err.println("[LocalNode] failed to start: " + t);
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: LocalNode <home> <data> <http-port> [setting=value ...]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path data = Path.of(args[1]).toAbsolutePath();
        String port = args[2];
        Path config = home.resolve("config");
        Path logs = home.resolve("logs");
        Files.createDirectories(config);
        Files.createDirectories(logs);
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(data);

        Settings.Builder builder = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", logs.toString())
            .put("cluster.name", "lookalike-local")
            .put("node.name", "lookalike-es")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", port)
            // a dev box can be nearly full; do not turn indices read-only because of that
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        for (int i = 3; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("bad setting (want key=value): " + args[i]);
                System.exit(2);
            }
            builder.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        Settings settings = builder.build();

        Path log4j = config.resolve("log4j2.properties");
        if (Files.exists(log4j) == false) {
            Files.writeString(log4j, LOG4J_CONFIG);
        }
        LogConfigurator.registerErrorListener();
        LogConfigurator.configureESLogging(); // settings parsing below already logs
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), config, () -> "lookalike-es");
        LogConfigurator.setClusterName(environment.settings().get("cluster.name"));
        LogConfigurator.setNodeName(environment.settings().get("node.name"));
        LogConfigurator.configure(environment, true);
        PluginsLoader pluginsLoader = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(environment.modulesDir(), false),
            PluginsLoader.loadPluginsBundles(environment.pluginsDir(), false),
            Map.of()
        );

        Node node = new Node(environment, pluginsLoader);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "local-node-shutdown"));
        node.start();
        System.out.println("[LocalNode] started: http://127.0.0.1:" + port);
        stopped.await();
    }
}
