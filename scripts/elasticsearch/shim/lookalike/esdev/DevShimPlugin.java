/*
 * Stand-ins for three REST endpoints whose real implementations live in Elasticsearch modules that are
 * not published to Maven Central (rest-root, reindex). For the local development node only.
 *
 *   GET|HEAD /                      node/cluster/version info (real: modules/rest-root)
 *   POST /_reindex                  copy documents between local indices (real: modules/reindex)
 *   POST /{index}/_delete_by_query  delete the documents matching a query (real: modules/reindex)
 *
 * The by-query endpoints do the same work as the real ones for the common case (scroll over the source,
 * bulk into the destination, same response fields) and answer 400 for what they do not implement
 * (scripts, remote sources, sliced or background tasks, throttling), so code that works here also works
 * against a real cluster.
 */
package lookalike.esdev;

import org.elasticsearch.Build;
import org.elasticsearch.ElasticsearchException;
import org.elasticsearch.action.ActionListener;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.DocWriteResponse;
import org.elasticsearch.action.admin.indices.refresh.RefreshRequest;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkRequest;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.delete.DeleteRequest;
import org.elasticsearch.action.index.IndexRequest;
import org.elasticsearch.action.search.ClearScrollRequest;
import org.elasticsearch.action.search.SearchRequest;
import org.elasticsearch.action.search.SearchResponse;
import org.elasticsearch.action.search.SearchScrollRequest;
import org.elasticsearch.client.internal.node.NodeClient;
import org.elasticsearch.cluster.node.DiscoveryNodes;
import org.elasticsearch.cluster.service.ClusterService;
import org.elasticsearch.common.Strings;
import org.elasticsearch.common.bytes.BytesArray;
import org.elasticsearch.common.bytes.BytesReference;
import org.elasticsearch.common.document.DocumentField;
import org.elasticsearch.common.xcontent.XContentHelper;
import org.elasticsearch.core.TimeValue;
import org.elasticsearch.features.NodeFeature;
import org.elasticsearch.index.IndexVersion;
import org.elasticsearch.index.VersionType;
import org.elasticsearch.plugins.ActionPlugin;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.rest.BaseRestHandler;
import org.elasticsearch.rest.RestChannel;
import org.elasticsearch.rest.RestHandler;
import org.elasticsearch.rest.RestRequest;
import org.elasticsearch.rest.RestResponse;
import org.elasticsearch.rest.RestStatus;
import org.elasticsearch.search.SearchHit;
import org.elasticsearch.search.builder.SearchSourceBuilder;
import org.elasticsearch.search.fetch.subphase.FetchSourceContext;
import org.elasticsearch.xcontent.ToXContent;
import org.elasticsearch.xcontent.XContentBuilder;
import org.elasticsearch.xcontent.XContentParser;
import org.elasticsearch.xcontent.XContentType;
import org.elasticsearch.xcontent.json.JsonXContent;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

public class DevShimPlugin extends Plugin implements ActionPlugin {

    private final AtomicReference<ClusterService> clusterService = new AtomicReference<>();

    @Override
    public Collection<?> createComponents(PluginServices services) {
        clusterService.set(services.clusterService());
        return List.of();
    }

    @Override
    public Collection<RestHandler> getRestHandlers(
        RestHandlersServices restHandlersServices,
        Supplier<DiscoveryNodes> nodesInCluster,
        Predicate<NodeFeature> clusterSupportsFeature
    ) {
        return List.of(new RootHandler(), new ReindexHandler(clusterSupportsFeature), new DeleteByQueryHandler(clusterSupportsFeature));
    }

    // ---------------------------------------------------------------------------------------------- GET /

    private final class RootHandler extends BaseRestHandler {
        @Override
        public String getName() {
            return "lookalike_dev_root";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.GET, "/"), new Route(RestRequest.Method.HEAD, "/"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
            return channel -> {
                if (request.method() == RestRequest.Method.HEAD) {
                    channel.sendResponse(new RestResponse(RestStatus.OK, RestResponse.TEXT_CONTENT_TYPE, BytesArray.EMPTY));
                    return;
                }
                ClusterService cs = clusterService.get();
                Build build = Build.current();
                XContentBuilder b = channel.newBuilder();
                b.startObject();
                b.field("name", cs.localNode().getName());
                b.field("cluster_name", cs.getClusterName().value());
                b.field("cluster_uuid", cs.state().metadata().clusterUUID());
                b.startObject("version");
                b.field("number", build.qualifiedVersion());
                b.field("build_flavor", build.flavor());
                b.field("build_type", build.type().displayName());
                b.field("build_hash", build.hash());
                b.field("build_date", build.date());
                b.field("build_snapshot", build.isSnapshot());
                b.field("lucene_version", IndexVersion.current().luceneVersion().toString());
                b.field("minimum_wire_compatibility_version", build.minWireCompatVersion());
                b.field("minimum_index_compatibility_version", build.minIndexCompatVersion());
                b.endObject();
                b.field("tagline", "You Know, for Search");
                b.endObject();
                channel.sendResponse(new RestResponse(RestStatus.OK, b));
            };
        }
    }

    // ------------------------------------------------------------------------------- by-query helpers

    /** Everything one _reindex or _delete_by_query run needs; runs asynchronously, batch by batch. */
    private static final class Job {
        final NodeClient client;
        final RestChannel channel;
        final boolean delete;
        final SearchRequest search;
        final String destIndex;
        final DocWriteRequest.OpType opType;
        final boolean externalVersion;
        final String pipeline;
        final String routingMode; // keep | discard | =value
        final boolean abortOnConflict;
        final long maxDocs; // -1 = all
        final boolean refresh;
        final TimeValue scrollKeepAlive;
        final long startNanos = System.nanoTime();

        long total;
        long created;
        long updated;
        long deleted;
        long batches;
        long versionConflicts;
        long processed;
        String scrollId;
        final List<BulkItemResponse.Failure> failures = new ArrayList<>();
        final Set<String> touchedIndices = new HashSet<>();

        Job(
            NodeClient client,
            RestChannel channel,
            boolean delete,
            SearchRequest search,
            String destIndex,
            DocWriteRequest.OpType opType,
            boolean externalVersion,
            String pipeline,
            String routingMode,
            boolean abortOnConflict,
            long maxDocs,
            boolean refresh,
            TimeValue scrollKeepAlive
        ) {
            this.client = client;
            this.channel = channel;
            this.delete = delete;
            this.search = search;
            this.destIndex = destIndex;
            this.opType = opType;
            this.externalVersion = externalVersion;
            this.pipeline = pipeline;
            this.routingMode = routingMode;
            this.abortOnConflict = abortOnConflict;
            this.maxDocs = maxDocs;
            this.refresh = refresh;
            this.scrollKeepAlive = scrollKeepAlive;
        }

        void start() {
            search.scroll(scrollKeepAlive);
            client.search(search, ActionListener.wrap(this::onBatch, this::fail));
        }

        private void onBatch(SearchResponse response) {
            if (response.getScrollId() != null) {
                scrollId = response.getScrollId();
            }
            if (batches == 0 && response.getHits().getTotalHits() != null) {
                total = response.getHits().getTotalHits().value();
            }
            SearchHit[] hits = response.getHits().getHits();
            if (hits.length == 0 || (maxDocs >= 0 && processed >= maxDocs)) {
                finish(null);
                return;
            }
            BulkRequest bulk = new BulkRequest();
            for (SearchHit hit : hits) {
                if (maxDocs >= 0 && processed >= maxDocs) {
                    break;
                }
                processed++;
                bulk.add(toWrite(hit));
            }
            batches++;
            client.bulk(bulk, ActionListener.wrap(this::onBulk, this::fail));
        }

        private DocWriteRequest<?> toWrite(SearchHit hit) {
            String routing = null;
            DocumentField routingField = hit.field("_routing");
            if ("keep".equals(routingMode) && routingField != null) {
                routing = routingField.getValue();
            } else if (routingMode.startsWith("=")) {
                routing = routingMode.substring(1);
            }
            if (delete) {
                touchedIndices.add(hit.getIndex());
                DeleteRequest d = new DeleteRequest(hit.getIndex(), hit.getId());
                d.setIfSeqNo(hit.getSeqNo());
                d.setIfPrimaryTerm(hit.getPrimaryTerm());
                d.routing(routing);
                return d;
            }
            touchedIndices.add(destIndex);
            if (hit.getSourceRef() == null) {
                throw new IllegalArgumentException("[" + hit.getIndex() + "] document [" + hit.getId() + "] has no _source to reindex");
            }
            BytesReference source = new BytesArray(BytesReference.toBytes(hit.getSourceRef()));
            IndexRequest r = new IndexRequest(destIndex).id(hit.getId()).source(source, XContentHelper.xContentType(source));
            r.opType(opType);
            r.routing(routing);
            if (externalVersion) {
                r.version(hit.getVersion());
                r.versionType(VersionType.EXTERNAL);
            }
            if (pipeline != null) {
                r.setPipeline(pipeline);
            }
            return r;
        }

        private void onBulk(BulkResponse response) {
            boolean abort = false;
            for (BulkItemResponse item : response.getItems()) {
                if (item.isFailed()) {
                    BulkItemResponse.Failure f = item.getFailure();
                    if (f.getStatus() == RestStatus.CONFLICT) {
                        versionConflicts++;
                        if (abortOnConflict == false) {
                            continue;
                        }
                    }
                    failures.add(f);
                    abort = true;
                    continue;
                }
                DocWriteResponse r = item.getResponse();
                switch (r.getResult()) {
                    case CREATED -> created++;
                    case UPDATED -> updated++;
                    case DELETED -> deleted++;
                    default -> {
                    }
                }
            }
            if (abort || (maxDocs >= 0 && processed >= maxDocs)) {
                finish(null);
                return;
            }
            client.searchScroll(new SearchScrollRequest(scrollId).scroll(scrollKeepAlive), ActionListener.wrap(this::onBatch, this::fail));
        }

        private void fail(Exception e) {
            finish(e);
        }

        private void finish(Exception error) {
            if (scrollId != null) {
                ClearScrollRequest clear = new ClearScrollRequest();
                clear.addScrollId(scrollId);
                client.clearScroll(clear, ActionListener.noop());
            }
            if (error != null) {
                sendError(error);
                return;
            }
            if (refresh && touchedIndices.isEmpty() == false) {
                client.admin()
                    .indices()
                    .refresh(new RefreshRequest(touchedIndices.toArray(String[]::new)), ActionListener.wrap(r -> respond(), this::sendError));
            } else {
                respond();
            }
        }

        private void sendError(Exception e) {
            try {
                channel.sendResponse(new RestResponse(channel, e));
            } catch (IOException io) {
                io.addSuppressed(e);
                throw new ElasticsearchException("could not send the error response", io);
            }
        }

        private void respond() {
            try {
                RestStatus status = RestStatus.OK;
                XContentBuilder b = channel.newBuilder();
                b.startObject();
                b.field("took", (System.nanoTime() - startNanos) / 1_000_000);
                b.field("timed_out", false);
                b.field("total", maxDocs >= 0 ? Math.min(total, maxDocs) : total);
                b.field("updated", updated);
                b.field("created", created);
                b.field("deleted", deleted);
                b.field("batches", batches);
                b.field("version_conflicts", versionConflicts);
                b.field("noops", 0);
                b.startObject("retries").field("bulk", 0).field("search", 0).endObject();
                b.field("throttled_millis", 0);
                b.field("requests_per_second", -1.0);
                b.field("throttled_until_millis", 0);
                b.startArray("failures");
                for (BulkItemResponse.Failure f : failures) {
                    if (f.getStatus().getStatus() > status.getStatus()) {
                        status = f.getStatus();
                    }
                    b.startObject();
                    b.field("index", f.getIndex());
                    b.field("id", f.getId());
                    b.startObject("cause");
                    ElasticsearchException.generateThrowableXContent(b, ToXContent.EMPTY_PARAMS, f.getCause());
                    b.endObject();
                    b.field("status", f.getStatus().getStatus());
                    b.endObject();
                }
                b.endArray();
                b.endObject();
                channel.sendResponse(new RestResponse(status, b));
            } catch (Exception e) {
                sendError(e);
            }
        }
    }

    private static IllegalArgumentException unsupported(String what) {
        return new IllegalArgumentException(
            what + " is not supported by the local development node (scripts/elasticsearch: no reindex module on Maven Central)"
        );
    }

    /** Common query-string parameters of the by-query APIs; the ones not read here are rejected by BaseRestHandler. */
    private static void checkCommonParams(RestRequest request) {
        if (request.paramAsBoolean("wait_for_completion", true) == false) {
            throw unsupported("wait_for_completion=false");
        }
        String slices = request.param("slices", "1");
        if (slices.equals("1") == false && slices.equals("auto") == false) {
            throw unsupported("slices=" + slices);
        }
        String rps = request.param("requests_per_second", "-1");
        if (rps.equals("-1") == false && rps.equals("-1.0") == false) {
            throw unsupported("requests_per_second");
        }
        request.param("timeout"); // accepted and ignored: batches are not throttled here
    }

    private static SearchSourceBuilder parseSearchBody(RestRequest request, Map<String, Object> body, Predicate<NodeFeature> features)
        throws IOException {
        XContentBuilder json = JsonXContent.contentBuilder().map(body);
        try (XContentParser p = XContentType.JSON.xContent().createParser(request.contentParserConfig(), BytesReference.bytes(json).streamInput())) {
            return new SearchSourceBuilder().parseXContent(p, true, features);
        }
    }

    private static long longValue(Object v, String name) {
        if (v instanceof Number n) {
            return n.longValue();
        }
        try {
            return Long.parseLong(String.valueOf(v));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("[" + name + "] must be a number, got [" + v + "]");
        }
    }

    private static String[] indices(Object v, String name) {
        if (v instanceof String s) {
            return Strings.splitStringByCommaToArray(s);
        }
        if (v instanceof List<?> l && l.isEmpty() == false) {
            return l.stream().map(String::valueOf).toArray(String[]::new);
        }
        throw new IllegalArgumentException("[" + name + "] must be an index name or a list of index names");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String name) {
        if (v instanceof Map<?, ?> m) {
            return new HashMap<>((Map<String, Object>) m);
        }
        throw new IllegalArgumentException("[" + name + "] must be an object");
    }

    // ------------------------------------------------------------------------------------- POST /_reindex

    private static final class ReindexHandler extends BaseRestHandler {
        private final Predicate<NodeFeature> features;

        ReindexHandler(Predicate<NodeFeature> features) {
            this.features = features;
        }

        @Override
        public String getName() {
            return "lookalike_dev_reindex";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.POST, "/_reindex"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
            checkCommonParams(request);
            boolean refresh = request.paramAsBoolean("refresh", false);
            TimeValue keepAlive = request.paramAsTime("scroll", TimeValue.timeValueMinutes(5));
            long maxDocs = request.paramAsLong("max_docs", -1);
            if (request.hasContentOrSourceParam() == false) {
                throw new IllegalArgumentException("_reindex needs a request body");
            }
            Map<String, Object> body = new HashMap<>(XContentHelper.convertToMap(request.requiredContent(), false, request.getXContentType()).v2());

            Map<String, Object> source = object(body.remove("source"), "source");
            Map<String, Object> dest = object(body.remove("dest"), "dest");
            String conflicts = String.valueOf(body.getOrDefault("conflicts", "abort"));
            body.remove("conflicts");
            if (conflicts.equals("abort") == false && conflicts.equals("proceed") == false) {
                throw new IllegalArgumentException("[conflicts] must be [abort] or [proceed], got [" + conflicts + "]");
            }
            if (body.containsKey("max_docs")) {
                maxDocs = longValue(body.remove("max_docs"), "max_docs");
            }
            if (body.containsKey("script")) {
                throw unsupported("[script] in _reindex");
            }
            if (body.isEmpty() == false) {
                throw new IllegalArgumentException("unknown field(s) in _reindex body: " + body.keySet());
            }

            if (source.containsKey("remote")) {
                throw unsupported("[source.remote]");
            }
            if (source.containsKey("slice")) {
                throw unsupported("[source.slice]");
            }
            String[] sourceIndices = indices(source.remove("index"), "source.index");
            int batch = source.containsKey("size") ? (int) longValue(source.remove("size"), "source.size") : 1000;
            if (maxDocs >= 0) {
                batch = (int) Math.max(1, Math.min(batch, maxDocs));
            }

            String destIndex = String.valueOf(dest.remove("index"));
            if (destIndex.equals("null") || destIndex.isEmpty()) {
                throw new IllegalArgumentException("[dest.index] is required");
            }
            DocWriteRequest.OpType opType = DocWriteRequest.OpType.fromString(String.valueOf(dest.getOrDefault("op_type", "index")));
            dest.remove("op_type");
            String versionType = String.valueOf(dest.getOrDefault("version_type", "internal"));
            dest.remove("version_type");
            if (versionType.equals("internal") == false && versionType.equals("external") == false) {
                throw unsupported("[dest.version_type=" + versionType + "]");
            }
            Object pipeline = dest.remove("pipeline");
            String routing = String.valueOf(dest.getOrDefault("routing", "keep"));
            dest.remove("routing");
            if (routing.equals("keep") == false && routing.equals("discard") == false && routing.startsWith("=") == false) {
                throw new IllegalArgumentException("[dest.routing] must be [keep], [discard] or [=value], got [" + routing + "]");
            }
            if (dest.isEmpty() == false) {
                throw new IllegalArgumentException("unknown field(s) in _reindex dest: " + dest.keySet());
            }
            if (Set.of(sourceIndices).contains(destIndex)) {
                throw new IllegalArgumentException("reindex cannot write into an index its reading from [" + destIndex + "]");
            }

            SearchSourceBuilder ssb = parseSearchBody(request, source, features);
            ssb.size(batch);
            ssb.version(true);
            if (ssb.sorts() == null || ssb.sorts().isEmpty()) {
                ssb.sort("_doc");
            }
            // Indices created by 9.x keep dense vectors out of the _source a search returns; a copy needs them,
            // so (like the real _reindex) ask for them unless the request decides itself.
            FetchSourceContext fetch = ssb.fetchSource();
            if (fetch == null) {
                ssb.fetchSource(FetchSourceContext.FETCH_ALL_SOURCE_EXCLUDE_INFERENCE_FIELDS);
            } else if (fetch.excludeVectors() == null) {
                ssb.excludeVectors(false);
            }
            SearchRequest search = new SearchRequest(sourceIndices).source(ssb);

            boolean abort = conflicts.equals("abort");
            boolean external = versionType.equals("external");
            String pipelineName = pipeline == null ? null : String.valueOf(pipeline);
            long max = maxDocs;
            return channel -> new Job(
                client,
                channel,
                false,
                search,
                destIndex,
                opType,
                external,
                pipelineName,
                routing,
                abort,
                max,
                refresh,
                keepAlive
            ).start();
        }
    }

    // -------------------------------------------------------------------- POST /{index}/_delete_by_query

    private static final class DeleteByQueryHandler extends BaseRestHandler {
        private final Predicate<NodeFeature> features;

        DeleteByQueryHandler(Predicate<NodeFeature> features) {
            this.features = features;
        }

        @Override
        public String getName() {
            return "lookalike_dev_delete_by_query";
        }

        @Override
        public List<Route> routes() {
            return List.of(new Route(RestRequest.Method.POST, "/{index}/_delete_by_query"));
        }

        @Override
        protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) throws IOException {
            checkCommonParams(request);
            String[] indices = Strings.splitStringByCommaToArray(request.param("index"));
            boolean refresh = request.paramAsBoolean("refresh", false);
            TimeValue keepAlive = request.paramAsTime("scroll", TimeValue.timeValueMinutes(5));
            int batch = request.paramAsInt("scroll_size", 1000);
            long maxDocs = request.paramAsLong("max_docs", -1);
            String conflicts = request.param("conflicts", "abort");
            String routing = request.param("routing");
            if (request.hasParam("q")) {
                throw unsupported("the [q] parameter of _delete_by_query (send a query body)");
            }
            Map<String, Object> body = request.hasContentOrSourceParam()
                ? new HashMap<>(XContentHelper.convertToMap(request.requiredContent(), false, request.getXContentType()).v2())
                : new HashMap<>();
            if (body.containsKey("conflicts")) {
                conflicts = String.valueOf(body.remove("conflicts"));
            }
            if (conflicts.equals("abort") == false && conflicts.equals("proceed") == false) {
                throw new IllegalArgumentException("[conflicts] must be [abort] or [proceed], got [" + conflicts + "]");
            }
            if (body.containsKey("max_docs")) {
                maxDocs = longValue(body.remove("max_docs"), "max_docs");
            }
            if (body.containsKey("slice")) {
                throw unsupported("[slice]");
            }
            if (body.containsKey("query") == false) {
                throw new IllegalArgumentException("_delete_by_query needs a [query] in the body");
            }
            if (maxDocs >= 0) {
                batch = (int) Math.max(1, Math.min(batch, maxDocs));
            }
            SearchSourceBuilder ssb = parseSearchBody(request, body, features);
            ssb.size(batch);
            ssb.seqNoAndPrimaryTerm(true);
            ssb.fetchSource(false);
            if (ssb.sorts() == null || ssb.sorts().isEmpty()) {
                ssb.sort("_doc");
            }
            SearchRequest search = new SearchRequest(indices).source(ssb);
            if (routing != null) {
                search.routing(routing);
            }
            boolean abort = conflicts.equals("abort");
            long max = maxDocs;
            return channel -> new Job(
                client,
                channel,
                true,
                search,
                null,
                DocWriteRequest.OpType.DELETE,
                false,
                null,
                "keep",
                abort,
                max,
                refresh,
                keepAlive
            ).start();
        }
    }
}
