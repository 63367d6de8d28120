// Keys and certificates for tests, made with the OpenSSL 3 API (no `openssl` CLI needed).
// Only functions are used, never OpenSSL's casting macros, to stay -Wold-style-cast clean.
#include "signing.hpp"

#include <oras/test/pki.hpp>
#include <oras/test/temp_dir.hpp>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace oras::test {
namespace {

struct pkey_free {
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct x509_free {
    void operator()(X509* p) const noexcept { X509_free(p); }
};
struct bio_free {
    void operator()(BIO* p) const noexcept { BIO_free_all(p); }
};
struct md_ctx_free {
    void operator()(EVP_MD_CTX* p) const noexcept { EVP_MD_CTX_free(p); }
};
struct ext_free {
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
using x509_ptr = std::unique_ptr<X509, x509_free>;
using bio_ptr = std::unique_ptr<BIO, bio_free>;

[[noreturn]] void fail(const std::string& what) {
    std::string message = "test pki: " + what;
    if (const unsigned long e = ERR_get_error(); e != 0) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        message += ": ";
        message += buf;
    }
    ERR_clear_error();
    throw std::runtime_error(message);
}

void check(int ok, const char* what) {
    if (ok <= 0)
        fail(what);
}

pkey_ptr make_rsa_key(unsigned bits) {
    pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits))};
    if (!key)
        fail("RSA key generation");
    return key;
}

pkey_ptr make_ec_key() {
    pkey_ptr key{EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")};
    if (!key)
        fail("EC key generation");
    return key;
}

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                     0),
          "X509_NAME_add_entry_by_txt");
}

void add_extension(X509* cert, X509V3_CTX* ctx, int nid, const std::string& value) {
    std::unique_ptr<X509_EXTENSION, ext_free> ext{
        X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str())};
    if (!ext)
        fail("extension " + value);
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

struct cert_spec {
    std::string common_name{};
    bool ca = false;
    std::string subject_alt_names{};  // "DNS:localhost,IP:127.0.0.1" or empty
    std::string key_usage{};
    std::string extended_key_usage{};  // empty: none
};

// Makes a certificate for `subject_key`, signed by `issuer_key` as `issuer` (nullptr: self).
x509_ptr make_certificate(const cert_spec& spec, EVP_PKEY* subject_key, X509* issuer,
                          EVP_PKEY* issuer_key) {
    x509_ptr cert{X509_new()};
    if (!cert)
        fail("X509_new");
    check(X509_set_version(cert.get(), 2), "X509_set_version");

    unsigned char serial_bytes[8];
    check(RAND_bytes(serial_bytes, sizeof serial_bytes), "RAND_bytes");
    std::uint64_t serial = 0;
    for (unsigned char b : serial_bytes)
        serial = (serial << 8) | b;
    serial &= 0x7fffffffffffffffULL;  // positive
    if (serial == 0)
        serial = 1;
    check(ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial), "serial");

    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr)
        fail("notBefore");
    if (X509_gmtime_adj(X509_getm_notAfter(cert.get()), 7L * 24 * 3600) == nullptr)
        fail("notAfter");
    check(X509_set_pubkey(cert.get(), subject_key), "X509_set_pubkey");

    X509_NAME* name = X509_get_subject_name(cert.get());
    add_name_entry(name, "O", "oras-cpp tests");
    add_name_entry(name, "CN", spec.common_name);
    check(
        X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name),
        "X509_set_issuer_name");

    X509V3_CTX ctx{};
    X509V3_set_ctx(&ctx, issuer != nullptr ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    add_extension(cert.get(), &ctx, NID_basic_constraints,
                  spec.ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
    add_extension(cert.get(), &ctx, NID_key_usage, "critical," + spec.key_usage);
    if (!spec.extended_key_usage.empty()) {
        add_extension(cert.get(), &ctx, NID_ext_key_usage, spec.extended_key_usage);
    }
    add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash");
    if (issuer != nullptr) {
        add_extension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always");
    }
    if (!spec.subject_alt_names.empty()) {
        add_extension(cert.get(), &ctx, NID_subject_alt_name, spec.subject_alt_names);
    }
    if (X509_sign(cert.get(), issuer_key, EVP_sha256()) <= 0)
        fail("X509_sign");
    return cert;
}

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    // BIO_get_mem_data is a casting macro; call what it expands to.
    const long n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data);
    if (n < 0 || data == nullptr)
        return {};
    return std::string(data, static_cast<std::size_t>(n));
}

std::string certificate_pem(X509* cert) {
    bio_ptr bio{BIO_new(BIO_s_mem())};
    if (!bio)
        fail("BIO_new");
    check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
    return bio_contents(bio.get());
}

std::string private_key_pem(EVP_PKEY* key) {
    bio_ptr bio{BIO_new(BIO_s_mem())};
    if (!bio)
        fail("BIO_new");
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
    return bio_contents(bio.get());
}

std::string certificate_der(X509* cert) {
    const int len = i2d_X509(cert, nullptr);
    if (len <= 0)
        fail("i2d_X509");
    std::string der(static_cast<std::size_t>(len), '\0');
    auto* p = reinterpret_cast<unsigned char*>(der.data());
    if (i2d_X509(cert, &p) != len)
        fail("i2d_X509");
    return der;
}

std::string join_san(const std::vector<std::string>& dns, const std::vector<std::string>& ips) {
    std::string out;
    for (const auto& d : dns)
        out += (out.empty() ? "" : ",") + std::string("DNS:") + d;
    for (const auto& i : ips)
        out += (out.empty() ? "" : ",") + std::string("IP:") + i;
    return out;
}

}  // namespace

test_pki make_test_pki(const std::filesystem::path& dir, const std::vector<std::string>& dns_names,
                       const std::vector<std::string>& ip_addresses) {
    const pkey_ptr ca_key = make_ec_key();
    const x509_ptr ca = make_certificate(
        {.common_name = "oras-cpp test CA", .ca = true, .key_usage = "keyCertSign,cRLSign"},
        ca_key.get(), nullptr, ca_key.get());

    const pkey_ptr server_key = make_ec_key();
    const std::string cn = !dns_names.empty()      ? dns_names.front()
                           : !ip_addresses.empty() ? ip_addresses.front()
                                                   : std::string("oras-cpp test server");
    const x509_ptr server =
        make_certificate({.common_name = cn,
                          .ca = false,
                          .subject_alt_names = join_san(dns_names, ip_addresses),
                          .key_usage = "digitalSignature",
                          .extended_key_usage = "serverAuth"},
                         server_key.get(), ca.get(), ca_key.get());

    const pkey_ptr client_key = make_ec_key();
    const x509_ptr client = make_certificate({.common_name = "oras-cpp test client",
                                              .ca = false,
                                              .subject_alt_names = "",
                                              .key_usage = "digitalSignature",
                                              .extended_key_usage = "clientAuth"},
                                             client_key.get(), ca.get(), ca_key.get());

    test_pki pki{dir / "ca.pem",     dir / "ca.key",     dir / "server.pem",
                 dir / "server.key", dir / "client.pem", dir / "client.key"};
    write_file(pki.ca_cert, certificate_pem(ca.get()));
    write_file(pki.ca_key, private_key_pem(ca_key.get()));
    write_file(pki.server_cert, certificate_pem(server.get()));
    write_file(pki.server_key, private_key_pem(server_key.get()));
    write_file(pki.client_cert, certificate_pem(client.get()));
    write_file(pki.client_key, private_key_pem(client_key.get()));
    return pki;
}

namespace detail {

struct rs256_signer::key {
    pkey_ptr pkey;
};

rs256_signer::rs256_signer(std::string_view common_name) : key_(std::make_unique<key>()) {
    key_->pkey = make_rsa_key(2048);
    const x509_ptr cert = make_certificate({.common_name = std::string(common_name),
                                            .ca = true,
                                            .key_usage = "digitalSignature,keyCertSign"},
                                           key_->pkey.get(), nullptr, key_->pkey.get());
    der_ = test::certificate_der(cert.get());
    pem_ = test::certificate_pem(cert.get());
}

rs256_signer::~rs256_signer() = default;

std::string rs256_signer::sign(std::string_view data) const {
    std::unique_ptr<EVP_MD_CTX, md_ctx_free> ctx{EVP_MD_CTX_new()};
    if (!ctx)
        fail("EVP_MD_CTX_new");
    check(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key_->pkey.get()),
          "EVP_DigestSignInit");
    std::size_t len = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
    check(EVP_DigestSign(ctx.get(), nullptr, &len, bytes, data.size()), "EVP_DigestSign");
    std::string sig(len, '\0');
    check(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes,
                         data.size()),
          "EVP_DigestSign");
    sig.resize(len);
    return sig;
}

}  // namespace detail
}  // namespace oras::test
