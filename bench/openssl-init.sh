#!/usr/bin/env bash
# Baseline for the init benchmark: builds the same PKI as
#   kubeadm init phase certs all && kubeadm init phase kubeconfig all
# using nothing but the openssl CLI, one openssl process per step, serially --
# the way a typical hand-written bootstrap script does it.
#
# Usage: bench/openssl-init.sh OUTDIR rsa|ecdsa
#
# Fixed cluster parameters (they match the flags init-bench.sh gives pkictl):
#   node name node1, advertise address 10.0.0.10:6443, service CIDR 10.96.0.0/12,
#   DNS domain cluster.local.
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 OUTDIR rsa|ecdsa" >&2
    exit 2
fi
OUT=$1
ALGO=$2
case "$ALGO" in
    rsa|ecdsa) ;;
    *) echo "$0: ALGO must be rsa or ecdsa, not '$ALGO'" >&2; exit 2 ;;
esac

NODE=node1
ADDR=10.0.0.10
SERVER="https://${ADDR}:6443"
CA_DAYS=3650    # 10 years
LEAF_DAYS=365   # 1 year

PKI="$OUT/pki"
mkdir -p "$PKI/etcd"

# Scratch space for CSRs, extension files and the kubeconfig client keys/certs,
# none of which kubeadm leaves on disk.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# quiet CMD... -- run CMD with its chatter (genrsa's progress dots, x509's
# "signature ok") held back; show it only if CMD fails.
quiet() {
    "$@" 2>"$TMP/stderr" || { local rc=$?; cat "$TMP/stderr" >&2; return "$rc"; }
}

# genkey FILE -- private key, mode 600 (RSA as PKCS#1 "RSA PRIVATE KEY",
# EC as SEC1 "EC PRIVATE KEY", the same PEM types kubeadm writes).
genkey() {
    if [[ $ALGO == rsa ]]; then
        quiet openssl genrsa -traditional -out "$1" 2048
    else
        openssl ecparam -name prime256v1 -genkey -noout -out "$1"
    fi
    chmod 600 "$1"
}

# mkca BASE CN -- self-signed CA BASE.crt / BASE.key, 10 years.
mkca() {
    local base=$1 cn=$2
    local cfg="$TMP/ca-${cn}.cnf"
    genkey "$base.key"
    cat >"$cfg" <<EOF
[req]
distinguished_name = dn
[dn]
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign
subjectKeyIdentifier = hash
subjectAltName = DNS:${cn}
EOF
    openssl req -x509 -new -sha256 -days "$CA_DAYS" \
        -key "$base.key" -subj "/CN=${cn}" \
        -config "$cfg" -extensions v3_ca \
        -out "$base.crt"
}

# mkleaf CABASE OUTBASE SUBJECT EKU [SAN] -- key, CSR, CA-signed certificate, 1 year.
mkleaf() {
    local ca=$1 base=$2 subj=$3 eku=$4 san=${5:-}
    local name=${base//\//_}
    local csr="$TMP/${name}.csr" ext="$TMP/${name}.ext"
    genkey "$base.key"
    openssl req -new -sha256 -key "$base.key" -subj "$subj" -out "$csr"
    {
        echo "basicConstraints = critical,CA:FALSE"
        echo "keyUsage = critical,digitalSignature,keyEncipherment"
        echo "extendedKeyUsage = ${eku}"
        echo "authorityKeyIdentifier = keyid"
        # OpenSSL 3 adds a subject key id to every cert by default; kubeadm (Go)
        # only puts one on CAs.
        echo "subjectKeyIdentifier = none"
        if [[ -n $san ]]; then echo "subjectAltName = ${san}"; fi
    } >"$ext"
    quiet openssl x509 -req -sha256 -days "$LEAF_DAYS" \
        -in "$csr" -CA "$ca.crt" -CAkey "$ca.key" \
        -extfile "$ext" -out "$base.crt"
}

# mkconf NAME USER SUBJECT -- client cert signed by the cluster CA, embedded in OUT/NAME.conf.
CA_DATA=
mkconf() {
    local name=$1 user=$2 subj=$3
    local base="$TMP/kubeconfig-${name}"
    mkleaf "$PKI/ca" "$base" "$subj" clientAuth
    local cert_data key_data
    cert_data=$(base64 -w0 "$base.crt")
    key_data=$(base64 -w0 "$base.key")
    # kubeadm writes kubeconfig files with mode 600.
    (
        umask 077
        cat >"$OUT/${name}.conf" <<EOF
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${CA_DATA}
    server: ${SERVER}
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: ${user}
  name: ${user}@kubernetes
current-context: ${user}@kubernetes
kind: Config
preferences: {}
users:
- name: ${user}
  user:
    client-certificate-data: ${cert_data}
    client-key-data: ${key_data}
EOF
    )
}

# --- certs: CAs -------------------------------------------------------------
mkca "$PKI/ca"             kubernetes
mkca "$PKI/front-proxy-ca" front-proxy-ca
mkca "$PKI/etcd/ca"        etcd-ca

# --- certs: service-account key pair ----------------------------------------
genkey "$PKI/sa.key"
openssl pkey -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub"

# --- certs: leaves ----------------------------------------------------------
mkleaf "$PKI/ca" "$PKI/apiserver" "/CN=kube-apiserver" serverAuth \
    "DNS:${NODE},DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:${ADDR}"
mkleaf "$PKI/ca" "$PKI/apiserver-kubelet-client" \
    "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth
mkleaf "$PKI/front-proxy-ca" "$PKI/front-proxy-client" "/CN=front-proxy-client" clientAuth

ETCD_SAN="DNS:${NODE},DNS:localhost,IP:${ADDR},IP:127.0.0.1,IP:::1"
mkleaf "$PKI/etcd/ca" "$PKI/etcd/server" "/CN=${NODE}" serverAuth,clientAuth "$ETCD_SAN"
mkleaf "$PKI/etcd/ca" "$PKI/etcd/peer"   "/CN=${NODE}" serverAuth,clientAuth "$ETCD_SAN"
mkleaf "$PKI/etcd/ca" "$PKI/etcd/healthcheck-client" "/CN=kube-etcd-healthcheck-client" clientAuth
mkleaf "$PKI/etcd/ca" "$PKI/apiserver-etcd-client"   "/CN=kube-apiserver-etcd-client" clientAuth

# --- kubeconfigs --------------------------------------------------------------
CA_DATA=$(base64 -w0 "$PKI/ca.crt")
mkconf admin              kubernetes-admin               "/O=kubeadm:cluster-admins/CN=kubernetes-admin"
mkconf super-admin        kubernetes-super-admin         "/O=system:masters/CN=kubernetes-super-admin"
mkconf kubelet            "system:node:${NODE}"          "/O=system:nodes/CN=system:node:${NODE}"
mkconf controller-manager system:kube-controller-manager "/CN=system:kube-controller-manager"
mkconf scheduler          system:kube-scheduler          "/CN=system:kube-scheduler"
