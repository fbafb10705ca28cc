#!/usr/bin/env python3
"""A fake subset of the Kubernetes API over mutual TLS, for pkictl's API-mode tests.

Requires a client certificate signed by --ca (ssl.CERT_REQUIRED), stores Secrets, Roles, RoleBindings,
ConfigMaps, Endpoints and coordination.k8s.io Leases of any namespace in memory, with the API server's
optimistic concurrency: every write gets a new metadata.resourceVersion (one counter for the store, as etcd's
revision); POST creates with a fresh uid or answers 409 AlreadyExists; PUT replaces, answering 409 Conflict
when the body carries a resourceVersion other than the stored one (none: unconditional, as ConfigMaps and
Leases allow) and 404 NotFound for a missing object; GET reads or 404s; GET of a collection lists it, filtered
by a labelSelector of key=value terms. Errors carry a Status body. A Secret whose decoded data exceeds
Kubernetes' 1 MiB is refused with 422 Invalid, as the API server does. One JSON line per request (method,
path, body, client CN, status) goes to --log. The port it listens on is written to --port-file once it
accepts connections. SIGHUP reloads the serving pair and adds the certificates --ca holds then to the
trusted client CAs.

  fake_apiserver.py --cert SERVER.crt --key SERVER.key --ca CA.crt --port-file FILE --log FILE [--preload MANIFEST] [--port N]
"""
import argparse
import base64
import json
import re
import signal
import ssl
import threading
import time
import uuid
from urllib.parse import parse_qs, urlsplit
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

PATH = re.compile(r"^/(?:api/v1|apis/rbac\.authorization\.k8s\.io/v1|apis/coordination\.k8s\.io/v1)/namespaces/([^/]+)/"
                  r"(secrets|roles|rolebindings|configmaps|endpoints|leases)(?:/([^/]+))?$")
store = {}
revision = [1]


def next_version():
    revision[0] += 1
    return str(revision[0])
lock = threading.Lock()
MAX_SECRET_SIZE = 1024 * 1024  # Kubernetes' MaxSecretSize, summed over the decoded data values


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def record(self, body, status, obj):
        cert = self.connection.getpeercert() or {}
        cn = next((v for rdn in cert.get("subject", ()) for k, v in rdn if k == "commonName"), None)
        uid = (obj.get("metadata") or {}).get("uid")
        with open(args.log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body, "client": cn,
                                "status": status, "uid": uid}) + "\n")

    def reply(self, status, obj):
        self.record(self.body, status, obj)
        payload = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def status(self, code, reason, message):
        self.reply(code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": message, "code": code})

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.body = json.loads(json.dumps(body))  # as received, before the server adds a uid
        url = urlsplit(self.path)
        match = PATH.match(url.path)
        if not match:
            return self.status(404, "NotFound", "the server could not find the requested resource")
        namespace, resource, name = match.groups()
        with lock:
            return self.dispatch(namespace, resource, name, body, parse_qs(url.query))

    def dispatch(self, namespace, resource, name, body, query):
        if resource == "secrets" and self.command in ("POST", "PUT") and body:
            size = sum(len(base64.b64decode(v)) for v in (body.get("data") or {}).values())
            if size > MAX_SECRET_SIZE:
                secret = body["metadata"]["name"]
                return self.status(422, "Invalid", f'Secret "{secret}" is invalid: data: Too long: may not be more than {MAX_SECRET_SIZE} bytes')
        if self.command == "GET" and name:
            obj = store.get((namespace, resource, name))
            return self.reply(200, obj) if obj else self.status(404, "NotFound", f'{resource} "{name}" not found')
        if self.command == "GET":
            terms = [term.split("=", 1) for term in (query.get("labelSelector") or [""])[0].split(",") if term]
            # As the API server lists: apiVersion and kind on the list, not on its items.
            items = [{k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
                     for (ns, res, _), obj in sorted(store.items())
                     if ns == namespace and res == resource
                     and all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in terms)]
            return self.reply(200, {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": str(revision[0])}, "items": items})
        if self.command == "POST" and not name:
            name = body["metadata"]["name"]
            if (namespace, resource, name) in store:
                return self.status(409, "AlreadyExists", f'{resource} "{name}" already exists')
            body["metadata"]["uid"] = str(uuid.uuid4())
            body["metadata"]["resourceVersion"] = next_version()
            store[(namespace, resource, name)] = body
            return self.reply(201, body)
        if self.command == "PUT" and name:
            old = store.get((namespace, resource, name))
            if not old:
                return self.status(404, "NotFound", f'{resource} "{name}" not found')
            sent = body["metadata"].get("resourceVersion")
            if sent and sent != old["metadata"].get("resourceVersion"):
                return self.status(409, "Conflict", f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; please apply your changes to the latest version and try again')
            body["metadata"]["uid"] = old["metadata"]["uid"]
            body["metadata"]["resourceVersion"] = next_version()
            store[(namespace, resource, name)] = body
            return self.reply(200, body)
        self.status(405, "MethodNotAllowed", "method not allowed")

    do_GET = do_POST = do_PUT = handle_any


parser = argparse.ArgumentParser()
for option in ("--cert", "--key", "--ca", "--port-file", "--log"):
    parser.add_argument(option, required=True)
parser.add_argument("--preload")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()

if args.preload:
    kinds = {"Secret": "secrets", "Role": "roles", "RoleBinding": "rolebindings", "ConfigMap": "configmaps",
             "Endpoints": "endpoints", "Lease": "leases"}
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    for doc in yaml.safe_load_all(open(args.preload)):
        if doc:
            doc["metadata"].setdefault("uid", str(uuid.uuid4()))
            doc["metadata"]["resourceVersion"] = next_version()
            # "renewTime: NOW" in a preloaded Lease means the time the server starts.
            spec = doc.get("spec") or {}
            for field in ("renewTime", "acquireTime"):
                if spec.get(field) == "NOW":
                    spec[field] = now
            store[(doc["metadata"].get("namespace", "default"), kinds[doc["kind"]], doc["metadata"]["name"])] = doc

context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.verify_mode = ssl.CERT_REQUIRED
context.load_cert_chain(args.cert, args.key)
context.load_verify_locations(args.ca)


def reload(*_):
    """What kube-apiserver reloads without a restart: its serving pair and its --client-ca-file."""
    context.load_cert_chain(args.cert, args.key)
    context.load_verify_locations(args.ca)


signal.signal(signal.SIGHUP, reload)
server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os
os.rename(args.port_file + ".tmp", args.port_file)
server.serve_forever()
