#include <oras/hasher.hpp>

#include <openssl/evp.h>

#include <array>
#include <new>
#include <stdexcept>

namespace oras {
namespace {

// Fetched once: EVP_sha256() would re-fetch the provider's implementation on every init.
const EVP_MD* md_for(digest_algorithm a) {
    static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
    const EVP_MD* md = a == digest_algorithm::sha512 ? sha512 : sha256;
    if (md == nullptr) {
        throw std::runtime_error("OpenSSL provides no " + std::string(to_string(a)));
    }
    return md;
}

}  // namespace

hasher::hasher(digest_algorithm a) : ctx_(EVP_MD_CTX_new()), algorithm_(a) {
    if (ctx_ == nullptr) {
        throw std::bad_alloc();
    }
    reset();
}

hasher::~hasher() {
    EVP_MD_CTX_free(ctx_);
}

hasher::hasher(hasher&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)),
      algorithm_(other.algorithm_),
      bytes_(other.bytes_) {}

hasher& hasher::operator=(hasher&& other) noexcept {
    if (this != &other) {
        EVP_MD_CTX_free(ctx_);
        ctx_ = std::exchange(other.ctx_, nullptr);
        algorithm_ = other.algorithm_;
        bytes_ = other.bytes_;
    }
    return *this;
}

void hasher::reset() {
    if (EVP_DigestInit_ex2(ctx_, md_for(algorithm_), nullptr) != 1) {
        throw std::runtime_error("EVP_DigestInit_ex2 failed");
    }
    bytes_ = 0;
}

void hasher::update(std::span<const std::byte> data) {
    if (!data.empty() && EVP_DigestUpdate(ctx_, data.data(), data.size()) != 1) {
        throw std::runtime_error("EVP_DigestUpdate failed");
    }
    bytes_ += data.size();
}

void hasher::update(std::string_view data) {
    update(std::as_bytes(std::span(data)));
}

digest hasher::finish() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx_, out.data(), &n) != 1) {
        throw std::runtime_error("EVP_DigestFinal_ex failed");
    }
    reset();
    return digest::from_hash(algorithm_, std::span(out.data(), n));
}

}  // namespace oras
