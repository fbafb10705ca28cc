"""A stand-in kubelet for pkid's restart tests.

For each component it serves an HTTPS health endpoint while <manifests>/<component>.yaml exists and stops
serving once the file is gone, like the kubelet starting and stopping a static pod. Every start and stop is
appended to the events file. Certificates are loaded at each start, so a restarted "pod" uses the renewed ones.

usage: fake_kubelet.py MANIFESTS EVENTS READY COMPONENT=PORT,CERT,KEY[,CLIENT_CA] ... [--never-restart NAME]
"""
import http.server
import os
import signal
import ssl
import sys
import threading
import time


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(port, cert, key, client_ca):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(client_ca)
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Health)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    args = sys.argv[1:]
    never = set()
    while "--never-restart" in args:
        index = args.index("--never-restart")
        never.add(args[index + 1])
        del args[index:index + 2]
    manifests, events, ready = args[0], args[1], args[2]
    components = {}
    for spec in args[3:]:
        name, rest = spec.split("=", 1)
        fields = rest.split(",")
        components[name] = (int(fields[0]), fields[1], fields[2], fields[3] if len(fields) > 3 else None)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    running, stopped_once = {}, set()

    def event(text):
        with open(events, "a") as handle:
            handle.write(text + "\n")

    while True:
        for name, (port, cert, key, client_ca) in components.items():
            present = os.path.exists(os.path.join(manifests, name + ".yaml"))
            if present and name not in running and not (name in never and name in stopped_once):
                running[name] = serve(port, cert, key, client_ca)
                event("started " + name)
            elif not present and name in running:
                server = running.pop(name)
                server.shutdown()
                server.server_close()
                stopped_once.add(name)
                event("stopped " + name)
        if not os.path.exists(ready):
            with open(ready, "w") as handle:
                handle.write("ready\n")
        time.sleep(0.05)


if __name__ == "__main__":
    main()
