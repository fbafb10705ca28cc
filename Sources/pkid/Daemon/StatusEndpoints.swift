import Hummingbird
import PKILifecycle

/// /metrics (Prometheus text), /healthz (the process answers) and /readyz (the last pass succeeded).
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
            let ready = await metrics.lastPassSucceeded
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: ready ? "ok\n" : "last pass did not succeed\n")))
        }
        return router
    }
}
