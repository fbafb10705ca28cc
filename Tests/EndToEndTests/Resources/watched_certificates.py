#!/usr/bin/env python3
"""Certificates a node has besides kubeadm's, with the dates a test needs (openssl cannot backdate notAfter):
an ingress CA and, signed by it, leaves that expired two days ago or expire in 10 or 20 days, each with a full
subject (C, ST, L, O, OU, CN), and their keys beside them as an ingress controller keeps them.

  watched_certificates.py OUTDIR        write OUTDIR/{expired,soon,near}.crt and .key
"""
import datetime
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def name(common_name):
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.STATE_OR_PROVINCE_NAME, "Ile-de-France"),
        x509.NameAttribute(NameOID.LOCALITY_NAME, "Paris"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Ingress"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Platform"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def main(out):
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("ingress-ca")
    for base, not_after in [("expired", now - datetime.timedelta(days=2)), ("soon", now + datetime.timedelta(days=10)),
                            ("near", now + datetime.timedelta(days=20))]:
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = (x509.CertificateBuilder().subject_name(name(f"{base}.ingress.example")).issuer_name(ca_name)
                       .public_key(key.public_key()).serial_number(x509.random_serial_number())
                       .not_valid_before(now - datetime.timedelta(days=90)).not_valid_after(not_after)
                       .add_extension(x509.SubjectAlternativeName([x509.DNSName(f"{base}.ingress.example")]), critical=False)
                       .sign(ca_key, hashes.SHA256()))
        with open(f"{out}/{base}.crt", "wb") as f:
            f.write(certificate.public_bytes(serialization.Encoding.PEM))
        with open(f"{out}/{base}.key", "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


if __name__ == "__main__":
    main(sys.argv[1])
