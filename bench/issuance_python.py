"""In-process certificate issuance with Python's `cryptography`, the same certificate as pkictl-issuance-bench's
second measure: one pre-made ECDSA P-256 key certified again and again by an ECDSA P-256 CA with a fresh serial,
SANs (2 DNS names, 2 IPs), keyUsage, extKeyUsage, basicConstraints and the authority key id.

With `verify` as third argument each certificate's signature is also checked with the CA's public key before the
next is made, as PKICore checks every certificate it signs (a damaged CA key must never get a certificate
written); without it, the certificate is only signed.

Prints `RESULT certificates_per_second=N openssl=VERSION`.
Usage: issuance_python.py [minimum-iterations] [seconds] [verify]
"""
import datetime
import ipaddress
import sys
import time

from cryptography import x509
from cryptography.hazmat.backends.openssl import backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

minimum = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3
verify = len(sys.argv) > 3 and sys.argv[3] == "verify"

ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench-ca")])
now = datetime.datetime.now(datetime.timezone.utc)
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
      .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=3650))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
      .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
      .sign(ca_key, hashes.SHA256()))
leaf_key = ec.generate_private_key(ec.SECP256R1()).public_key()
authority_key_id = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
    ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value)
names = x509.SubjectAlternativeName([
    x509.DNSName("etcd1"), x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_address("10.0.0.11")), x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
])
usage = x509.KeyUsage(digital_signature=True, key_encipherment=True, content_commitment=False, data_encipherment=False,
                      key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False)
purposes = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])
subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "etcd1")])


def issue():
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca.subject).public_key(leaf_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(usage, critical=True)
            .add_extension(purposes, critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(authority_key_id, critical=False)
            .add_extension(names, critical=False)
            .sign(ca_key, hashes.SHA256()))


count = 0
start = time.perf_counter()
ca_public_key = ca_key.public_key()
while count < minimum or time.perf_counter() - start < seconds:
    certificate = issue()
    if verify:
        ca_public_key.verify(certificate.signature, certificate.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    count += 1
rate = count / (time.perf_counter() - start)
print(f"RESULT certificates_per_second={rate:.0f} openssl={backend.openssl_version_text().split()[1]}")
