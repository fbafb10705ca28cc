#!/usr/bin/env python3
"""An independent implementation of kubeadm's kubeadm-certs layout (AES-256-GCM from the `cryptography`
package, nonce || ciphertext || tag, no associated data), used by the tests to check pkictl against it.

  decrypt MANIFEST KEYHEX OUTDIR        write every non-empty entry of kubeadm-certs, decrypted, to OUTDIR/<data key>
  build CERTDIR KEYHEX OUTPUT [--expired] [--external CA CERT KEY]
                                        write a manifest as kubeadm's upload would, from the files of CERTDIR
"""
import base64
import datetime
import os
import secrets
import string
import sys

import yaml
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

STACKED = ["ca.crt", "ca.key", "front-proxy-ca.crt", "front-proxy-ca.key", "sa.key", "sa.pub", "etcd/ca.crt", "etcd/ca.key"]


def decrypt(manifest, key_hex, out_dir):
    key = bytes.fromhex(key_hex)
    docs = [d for d in yaml.safe_load_all(open(manifest)) if d]
    secret = next(d for d in docs if d.get("kind") == "Secret" and d["metadata"]["name"] == "kubeadm-certs")
    os.makedirs(out_dir, exist_ok=True)
    for name, value in secret["data"].items():
        sealed = base64.b64decode(value or "")
        if not sealed:
            continue
        nonce, body = sealed[:12], sealed[12:]
        plain = AESGCM(key).decrypt(nonce, body, None)
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(plain)
    print(len(secret["data"]))


def b64(data):
    return base64.b64encode(data).decode()


def build(cert_dir, key_hex, output, expired, external):
    key = AESGCM(bytes.fromhex(key_hex))
    files = STACKED[:6] + (["external-etcd-ca.crt", "external-etcd.crt", "external-etcd.key"] if external else STACKED[6:])
    sources = {name: os.path.join(cert_dir, name) for name in files}
    if external:
        sources.update(zip(files[6:], external))
    data = {}
    for name in files:
        try:
            plain = open(sources[name], "rb").read()
        except FileNotFoundError:
            data[name.replace("/", "-")] = ""
            continue
        nonce = os.urandom(12)
        data[name.replace("/", "-")] = b64(nonce + key.encrypt(nonce, plain, None))
    alphabet = string.ascii_lowercase + string.digits
    token_id = "".join(secrets.choice(alphabet) for _ in range(6))
    token_secret = "".join(secrets.choice(alphabet) for _ in range(16))
    delta = datetime.timedelta(hours=-1 if expired else 2)
    expiration = (datetime.datetime.now(datetime.timezone.utc) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")
    token_name = "bootstrap-token-" + token_id
    docs = [
        {"apiVersion": "v1", "kind": "Secret", "type": "bootstrap.kubernetes.io/token",
         "metadata": {"name": token_name, "namespace": "kube-system"},
         "data": {"token-id": b64(token_id.encode()), "token-secret": b64(token_secret.encode()),
                  "expiration": b64(expiration.encode()),
                  "description": b64(b"Proxy for managing TTL for the kubeadm-certs secret")}},
        # As `kubectl get secret kubeadm-certs -o yaml` shows it: the link is the ownerReference.
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
         "metadata": {"name": "kubeadm-certs", "namespace": "kube-system",
                      "ownerReferences": [{"apiVersion": "v1", "kind": "Secret", "name": token_name,
                                           "uid": "0b7c2f8e-1111-4f0e-9d1a-3c2b1a0f9e8d",
                                           "controller": True, "blockOwnerDeletion": True}]},
         "data": data},
    ]
    with open(output, "w") as f:
        yaml.safe_dump_all(docs, f)


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    if command == "decrypt":
        decrypt(*args)
    elif command == "build":
        expired = "--expired" in args
        external = None
        if "--external" in args:
            at = args.index("--external")
            external = args[at + 1:at + 4]
            args = args[:at] + args[at + 4:]
        args = [a for a in args if a != "--expired"]
        build(args[0], args[1], args[2], expired, external)
    else:
        sys.exit("unknown command " + command)
