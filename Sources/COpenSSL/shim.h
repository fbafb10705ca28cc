#ifndef PKID_COPENSSL_SHIM_H
#define PKID_COPENSSL_SHIM_H

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// Swift cannot import function-like macros; these inline wrappers expose the few we need.

static inline void pkid_OPENSSL_free(void *p) { OPENSSL_free(p); }

static inline int pkid_EVP_PKEY_KEYPAIR(void) { return EVP_PKEY_KEYPAIR; }

static inline long pkid_BIO_get_mem_data(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline int pkid_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }
static inline GENERAL_NAME *pkid_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int i) { return sk_GENERAL_NAME_value(names, i); }
static inline void pkid_GENERAL_NAMES_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

static inline int pkid_sk_ASN1_OBJECT_num(const EXTENDED_KEY_USAGE *eku) { return sk_ASN1_OBJECT_num(eku); }
static inline ASN1_OBJECT *pkid_sk_ASN1_OBJECT_value(const EXTENDED_KEY_USAGE *eku, int i) { return sk_ASN1_OBJECT_value(eku, i); }
static inline void pkid_EXTENDED_KEY_USAGE_free(EXTENDED_KEY_USAGE *eku) { sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free); }


static inline const unsigned char *pkid_GENERAL_NAME_dns(const GENERAL_NAME *name, int *len) {
    if (name->type != GEN_DNS) return NULL;
    *len = ASN1_STRING_length(name->d.dNSName);
    return ASN1_STRING_get0_data(name->d.dNSName);
}
static inline const unsigned char *pkid_GENERAL_NAME_ip(const GENERAL_NAME *name, int *len) {
    if (name->type != GEN_IPADD) return NULL;
    *len = ASN1_STRING_length(name->d.iPAddress);
    return ASN1_STRING_get0_data(name->d.iPAddress);
}
static inline const unsigned char *pkid_GENERAL_NAME_email(const GENERAL_NAME *name, int *len) {
    if (name->type != GEN_EMAIL) return NULL;
    *len = ASN1_STRING_length(name->d.rfc822Name);
    return ASN1_STRING_get0_data(name->d.rfc822Name);
}
static inline const unsigned char *pkid_GENERAL_NAME_uri(const GENERAL_NAME *name, int *len) {
    if (name->type != GEN_URI) return NULL;
    *len = ASN1_STRING_length(name->d.uniformResourceIdentifier);
    return ASN1_STRING_get0_data(name->d.uniformResourceIdentifier);
}

// libssl, for the HTTPS client (the Kubernetes API, etcd and health endpoints).
#include <openssl/ssl.h>

static inline long pkid_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return SSL_set_tlsext_host_name(ssl, name); }
static inline int pkid_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) { return (int)SSL_CTX_set_min_proto_version(ctx, version); }

#endif
