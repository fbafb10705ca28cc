"""A stand-in kubelet for pkid's restart tests.

For each component it serves an HTTPS health endpoint while <manifests>/<component>.yaml exists and stops
serving once the file is gone, like the kubelet starting and stopping a static pod. Every start and stop is
appended to the events file. Certificates are loaded at each start, so a restarted "pod" uses the renewed ones.

A component given with --process NAME=ARGV_JSON_FILE is a real process instead (a real etcd member): started with
that argv while the manifest exists, stopped with SIGTERM (and waited for) once it is gone. With --timeline FILE
and --label L every start and stop is also appended there as "<unix time> L started|stopped NAME", so several
kubelets can share one timeline.

usage: fake_kubelet.py MANIFESTS EVENTS READY COMPONENT=PORT,CERT,KEY[,CLIENT_CA] ... [--never-restart NAME]
       [--process NAME=ARGV_JSON_FILE] [--timeline FILE --label L]
"""
import json
import subprocess
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
    processes, timeline, label = {}, None, ""
    while "--process" in args:
        index = args.index("--process")
        name, argv_file = args[index + 1].split("=", 1)
        processes[name] = json.load(open(argv_file))
        del args[index:index + 2]
    for option in ("--timeline", "--label"):
        if option in args:
            index = args.index(option)
            if option == "--timeline":
                timeline = args[index + 1]
            else:
                label = args[index + 1]
            del args[index:index + 2]
    manifests, events, ready = args[0], args[1], args[2]
    components = {}
    for spec in args[3:]:
        name, rest = spec.split("=", 1)
        fields = rest.split(",")
        components[name] = (int(fields[0]), fields[1], fields[2], fields[3] if len(fields) > 3 else None)
    running, stopped_once, children = {}, set(), {}

    def stop_children(*_):
        for child in children.values():
            child.terminate()
        for child in children.values():
            child.wait()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop_children)

    def event(text):
        with open(events, "a") as handle:
            handle.write(text + "\n")
        if timeline:
            with open(timeline, "a") as handle:
                handle.write("%.3f %s %s\n" % (time.time(), label, text))

    while True:
        for name, argv in processes.items():
            present = os.path.exists(os.path.join(manifests, name + ".yaml"))
            if present and name not in children:
                log = open(os.path.join(os.path.dirname(events), name + ".log"), "a")
                children[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
                event("started " + name)
            elif not present and name in children:
                child = children.pop(name)
                child.terminate()
                child.wait()
                event("stopped " + name)
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
