// digest: a validated content identifier, `algorithm:encoded`.
#pragma once

#include <oras/result.hpp>

#include <compare>
#include <cstddef>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras {

/// The digest algorithms this client can compute and verify (image-spec registered algorithms).
enum class digest_algorithm { sha256, sha512 };

/// "sha256" or "sha512".
std::string_view to_string(digest_algorithm a) noexcept;

/// Length in bytes of the raw hash of `a` (32 or 64).
std::size_t hash_size(digest_algorithm a) noexcept;

/// A digest such as `sha256:6c3c...`. A default-constructed digest is empty and matches nothing;
/// every non-empty digest has passed `parse` (the image-spec grammar plus the registered
/// algorithm's encoding: lowercase hex of the right length).
class digest {
  public:
    digest() = default;

    /// Parses `algorithm:encoded`. Fails with `invalid_digest` for text outside the grammar or
    /// a bad encoding, and with `unsupported_digest_algorithm` for a grammatical digest whose
    /// algorithm is not sha256 or sha512.
    static result<digest> parse(std::string_view text);

    /// The digest of a raw hash value (`hash.size()` must be `hash_size(a)`).
    static digest from_hash(digest_algorithm a, std::span<const unsigned char> hash);

    /// Hashes `data` in one call.
    static digest of(std::span<const std::byte> data,
                     digest_algorithm a = digest_algorithm::sha256);
    /// Hashes the bytes of `data` in one call.
    static digest of(std::string_view data, digest_algorithm a = digest_algorithm::sha256);

    /// True for a default-constructed digest, which matches nothing.
    bool empty() const noexcept { return text_.empty(); }
    /// The algorithm of `encoded()`; sha256 for an empty digest.
    digest_algorithm algorithm() const noexcept { return algorithm_; }
    /// The part after the colon (lowercase hex).
    std::string_view encoded() const noexcept;
    /// The whole digest, `algorithm:encoded`.
    const std::string& str() const noexcept { return text_; }

    /// Compares the text: the same content hashed with sha256 and with sha512 gives unequal
    /// digests. Two empty digests are equal.
    friend bool operator==(const digest& a, const digest& b) noexcept { return a.text_ == b.text_; }
    /// Orders by the text (algorithm name first), for sorted containers.
    friend std::strong_ordering operator<=>(const digest& a, const digest& b) noexcept {
        return a.text_ <=> b.text_;
    }

  private:
    digest(digest_algorithm a, std::string text) : algorithm_(a), text_(std::move(text)) {}

    digest_algorithm algorithm_ = digest_algorithm::sha256;
    std::string text_;
};

std::ostream& operator<<(std::ostream& os, const digest& d);

}  // namespace oras

/// \cond
// Hashes `str()`, so that digests can key unordered containers.
template <>
struct std::hash<oras::digest> {
    std::size_t operator()(const oras::digest& d) const noexcept {
        return std::hash<std::string>{}(d.str());
    }
};
/// \endcond

#pragma GCC visibility pop
