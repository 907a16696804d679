/*
 * Launcher for one local Elasticsearch 8.x node (8.19 APIs), for tests and development only.
 *
 * The production entry point (org.elasticsearch.bootstrap.Elasticsearch) is made to be started by the
 * CLI process of a full distribution: it reads its arguments from that process, installs the security
 * manager (Java 17-23) or entitlements (24+), runs the bootstrap checks and refuses root. None of that
 * fits a throwaway test node, so this class does only what a node needs: settings, an Environment, the
 * module bundles under <home>/modules, then Node.start(). Loopback only, no security, console logging.
 *
 * Usage (start.sh runs it): java --module-path <server jars> --add-modules ALL-MODULE-PATH -cp <classes>
 *        LocalNode <home> <data> <http-port> [key=value ...]
 */

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public final class LocalNode {
    private LocalNode() {}

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: LocalNode <home> <data> <http-port> [setting=value ...]");
            System.exit(2);
        }
        try {
            Node node = build(Path.of(args[0]).toAbsolutePath(), Path.of(args[1]).toAbsolutePath(), args[2], Arrays.copyOfRange(args, 3, args.length));
            CountDownLatch closed = closeOnShutdown(node);
            node.start();
            System.out.println("[LocalNode] started: http://127.0.0.1:" + args[2]);
            closed.await();
        } catch (Throwable t) {
            t.printStackTrace();
            // start.sh shows the end of the log when the node does not come up: make the cause the last line
            System.err.println("[LocalNode] failed to start: " + t);
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static Node build(Path home, Path data, String httpPort, String[] extraSettings) throws Exception {
        Path config = Files.createDirectories(home.resolve("config"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(data);

        Settings.Builder settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", Files.createDirectories(home.resolve("logs")).toString())
            .put("cluster.name", "lookalike-local")
            .put("node.name", "lookalike-es8")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", httpPort)
            .put("logger.level", "INFO")
            // a nearly full dev disk must not turn the test indices read-only
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        for (String arg : extraSettings) {
            int eq = arg.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad setting (want key=value): " + arg);
            }
            settings.put(arg.substring(0, eq), arg.substring(eq + 1));
        }

        // Console only (start.sh redirects it to es.log); no log4j2.properties to ship or keep in sync.
        LogConfigurator.configureWithoutConfig(settings.build());
        Environment env = InternalSettingsPreparer.prepareEnvironment(settings.build(), Map.of(), config, () -> "lookalike-es8");

        // In 8.19 the node no longer finds its plugins itself: the loader builds one module layer per bundle.
        PluginsLoader plugins = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(env.modulesDir()),
            PluginsLoader.loadPluginsBundles(env.pluginsDir()),
            Map.of()
        );
        return new Node(env, plugins);
    }

    /** SIGTERM (stop.sh) closes the node cleanly; the returned latch opens when it is closed. */
    private static CountDownLatch closeOnShutdown(Node node) {
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "lookalike-es8-shutdown"));
        return closed;
    }
}
