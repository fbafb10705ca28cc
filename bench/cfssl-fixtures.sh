# Sourced by the gencert benchmarks: cfssl's CA request, signing config (profile "peer") and an etcd peer
# leaf request, ECDSA-P256, written into the current directory, so both tools sign the same thing.
write_cfssl_fixtures() {
    cat >ca-csr.json <<'JSON'
{"CN": "etcd-ca", "key": {"algo": "ecdsa", "size": 256}, "names": [{"O": "bench"}]}
JSON
    cat >ca-config.json <<'JSON'
{"signing": {"default": {"expiry": "8760h"}, "profiles": {"peer": {"expiry": "8760h",
  "usages": ["signing", "key encipherment", "server auth", "client auth"]}}}}
JSON
    cat >leaf-csr.json <<'JSON'
{"CN": "etcd1", "hosts": ["etcd1", "localhost", "10.0.0.11", "127.0.0.1"], "key": {"algo": "ecdsa", "size": 256}}
JSON
}
