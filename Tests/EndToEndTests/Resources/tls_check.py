#!/usr/bin/env python3
"""Mutual-TLS checks of kubeconfigs against a server, as kube-apiserver and client-go would do them.

A server on 127.0.0.1 presents --server-cert (with whatever chain the file holds) and --server-key and requires a
client certificate verified against --client-ca (a bundle, as kube-apiserver's --client-ca-file). Each --kubeconfig
is then used as a client: its certificate-authority-data must verify the server (hostname 127.0.0.1), and its client
certificate (embedded, or the files it names) must be accepted by the server. Each --trust-only FILE is a client
with no certificate that trusts FILE alone (a worker that has not been updated): only the server is verified.
One line per check, "OK name" or "FAIL name: reason"; exit status 1 when any check fails.

  tls_check.py --server-cert C --server-key K --client-ca CA [--kubeconfig F]... [--trust-only F]...
"""
import argparse
import base64
import os
import socket
import ssl
import sys
import tempfile
import threading

import yaml

parser = argparse.ArgumentParser()
parser.add_argument("--server-cert", required=True)
parser.add_argument("--server-key", required=True)
parser.add_argument("--client-ca", required=True)
parser.add_argument("--kubeconfig", action="append", default=[])
parser.add_argument("--trust-only", action="append", default=[])
args = parser.parse_args()

server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
server_context.load_cert_chain(args.server_cert, args.server_key)
server_context.load_verify_locations(args.client_ca)
optional = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
optional.load_cert_chain(args.server_cert, args.server_key)
optional.load_verify_locations(args.client_ca)
optional.verify_mode = ssl.CERT_OPTIONAL
server_context.verify_mode = ssl.CERT_REQUIRED

listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen(8)
port = listener.getsockname()[1]
contexts = []  # the server context for each accepted connection, in order


def serve():
    while True:
        try:
            raw, _ = listener.accept()
        except OSError:
            return
        context = contexts.pop(0)
        try:
            with context.wrap_socket(raw, server_side=True) as conn:
                conn.recv(16)
                conn.sendall(b"pong")
        except (ssl.SSLError, OSError):
            pass


threading.Thread(target=serve, daemon=True).start()


def connect(name, client_context, server_context_for_it):
    contexts.append(server_context_for_it)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with client_context.wrap_socket(raw, server_hostname="127.0.0.1") as conn:
                conn.sendall(b"ping")
                reply = conn.recv(16)
        if reply != b"pong":
            return f"FAIL {name}: the server closed the connection (client certificate refused)"
        return f"OK {name}"
    except (ssl.SSLError, OSError) as error:
        return f"FAIL {name}: {error}"


def field(entry, key, base):
    value = entry.get(key + "-data")
    if value:
        return base64.b64decode(value)
    path = entry.get(key)
    if path:
        with open(path if os.path.isabs(path) else os.path.join(base, path), "rb") as f:
            return f.read()
    return None


results = []
with tempfile.TemporaryDirectory() as scratch:
    for path in args.kubeconfig:
        with open(path) as f:
            config = yaml.safe_load(f)
        context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
        base = os.path.dirname(path)
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(cadata=field(cluster, "certificate-authority", base).decode())
        cert_file, key_file = os.path.join(scratch, "client.crt"), os.path.join(scratch, "client.key")
        with open(cert_file, "wb") as f:
            f.write(field(user, "client-certificate", base))
        with open(key_file, "wb") as f:
            f.write(field(user, "client-key", base))
        client.load_cert_chain(cert_file, key_file)
        results.append(connect(os.path.basename(path), client, server_context))
    for path in args.trust_only:
        client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        client.load_verify_locations(path)
        results.append(connect("trust-only " + os.path.basename(path), client, optional))

listener.close()
print("\n".join(results))
sys.exit(0 if all(r.startswith("OK") for r in results) else 1)
