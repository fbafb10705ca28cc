import Hummingbird
import PKILifecycle

/// /metrics (Prometheus text), /healthz (the process answers) and /readyz (the last pass succeeded and no
/// restart is owed).
enum StatusEndpoints {
    static func router(metrics: DaemonMetrics) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let text = await metrics.render()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let (ready, text) = (await metrics.isReady, await metrics.readiness)
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        return router
    }
}
