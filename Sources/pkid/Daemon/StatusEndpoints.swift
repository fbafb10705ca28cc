import Hummingbird
import PKILifecycle
import PKIStore

/// /metrics (Prometheus text), /healthz (the process answers) and /readyz (the last pass succeeded and no
/// restart is owed).
enum StatusEndpoints {
    /// `clock` decides which certificates `x509_cert_expired` calls expired at the scrape.
    static func router(metrics: DaemonMetrics, clock: any WallClock = SystemWallClock()) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            let text = await metrics.render(now: clock.date)
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
