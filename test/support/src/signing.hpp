// Internal: the token issuer's RS256 signing key and its self-signed certificate.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace oras::test::detail {

class rs256_signer {
  public:
    /// Generates a 2048-bit RSA key and a self-signed certificate (CN = `common_name`).
    explicit rs256_signer(std::string_view common_name);
    ~rs256_signer();
    rs256_signer(const rs256_signer&) = delete;
    rs256_signer& operator=(const rs256_signer&) = delete;

    /// RSASSA-PKCS1-v1_5 with SHA-256 over `data` (raw signature bytes).
    std::string sign(std::string_view data) const;
    /// DER of the certificate (for the JWT `x5c` header).
    const std::string& certificate_der() const { return der_; }
    /// PEM of the certificate (the registry's rootcertbundle).
    const std::string& certificate_pem() const { return pem_; }

  private:
    struct key;
    std::unique_ptr<key> key_;
    std::string der_;
    std::string pem_;
};

}  // namespace oras::test::detail
