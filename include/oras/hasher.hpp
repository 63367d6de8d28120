// hasher: streaming SHA-256 / SHA-512 on OpenSSL EVP.
#pragma once

#include <oras/digest.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#pragma GCC visibility push(default)

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace oras {

/// Hashes bytes fed in chunks of any size. Move-only; not thread-safe (one stream per hasher).
class hasher {
  public:
    /// Starts an empty stream. Throws `std::bad_alloc` when OpenSSL cannot allocate a context,
    /// `std::runtime_error` when it provides no implementation of `a`.
    explicit hasher(digest_algorithm a = digest_algorithm::sha256);
    ~hasher();
    /// Takes over `other`'s stream; `other` may then only be destroyed or assigned to.
    hasher(hasher&& other) noexcept;
    /// Drops this stream and takes over `other`'s; `other` may then only be destroyed or
    /// assigned to.
    hasher& operator=(hasher&& other) noexcept;
    hasher(const hasher&) = delete;
    hasher& operator=(const hasher&) = delete;

    /// Feeds the next bytes; an empty chunk changes nothing. Throws `std::runtime_error` if
    /// OpenSSL fails.
    void update(std::span<const std::byte> data);
    /// Feeds the bytes of `data`, as the overload above.
    void update(std::string_view data);

    /// The digest of everything fed since construction or the last `finish()`, which also
    /// starts a new stream.
    digest finish();

    /// Bytes fed into the current stream.
    std::uint64_t bytes() const noexcept { return bytes_; }
    /// As given at construction.
    digest_algorithm algorithm() const noexcept { return algorithm_; }

  private:
    void reset();

    evp_md_ctx_st* ctx_ = nullptr;
    digest_algorithm algorithm_;
    std::uint64_t bytes_ = 0;
};

}  // namespace oras

#pragma GCC visibility pop
