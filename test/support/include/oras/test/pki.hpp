// Test certificates, generated in-process with OpenSSL at test time.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace oras::test {

/// PEM files of a throw-away CA and a server certificate it signed.
struct test_pki {
    std::filesystem::path ca_cert{};  // CA certificate (what clients trust)
    std::filesystem::path ca_key{};
    std::filesystem::path server_cert{};  // server certificate only (no chain needed)
    std::filesystem::path server_key{};   // PKCS#8 PEM
    std::filesystem::path client_cert{};  // a client certificate (clientAuth) for mutual TLS
    std::filesystem::path client_key{};
};

/// Writes ca.pem, ca.key, server.pem, server.key, client.pem and client.key into `dir` (which
/// must exist). Keys are
/// ECDSA P-256. The CA has basicConstraints CA:TRUE; the server certificate has
/// subjectAltName with `dns_names` and `ip_addresses`, extendedKeyUsage serverAuth, and is
/// valid from an hour ago for a week. Throws std::runtime_error on failure.
test_pki make_test_pki(const std::filesystem::path& dir,
                       const std::vector<std::string>& dns_names = {"localhost"},
                       const std::vector<std::string>& ip_addresses = {"127.0.0.1"});

}  // namespace oras::test
