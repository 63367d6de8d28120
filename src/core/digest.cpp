#include <oras/digest.hpp>
#include <oras/hasher.hpp>

#include "core/quote.hpp"

#include <algorithm>
#include <cassert>
#include <ostream>

namespace oras {
namespace {

bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_lower_hex(char c) {
    return (c >= 'a' && c <= 'f') || (c >= '0' && c <= '9');
}
bool is_encoded_char(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '=' || c == '_' || c == '-';
}

// algorithm ::= component (separator component)*, component ::= [a-z0-9]+, separator ::= [+._-]
bool is_algorithm(std::string_view a) {
    bool need_component = true;
    for (char c : a) {
        if (is_lower_alnum(c)) {
            need_component = false;
        } else if (!need_component && (c == '+' || c == '.' || c == '_' || c == '-')) {
            need_component = true;
        } else {
            return false;
        }
    }
    return !need_component;
}

}  // namespace

std::string_view to_string(digest_algorithm a) noexcept {
    return a == digest_algorithm::sha512 ? "sha512" : "sha256";
}

std::size_t hash_size(digest_algorithm a) noexcept {
    return a == digest_algorithm::sha512 ? 64 : 32;
}

result<digest> digest::parse(std::string_view text) {
    const auto colon = text.find(':');
    if (colon == std::string_view::npos) {
        return make_failure(errc::invalid_digest, "invalid digest " + detail::quote(text)
                                                      + ": expected algorithm:encoded");
    }
    const auto alg = text.substr(0, colon);
    const auto enc = text.substr(colon + 1);
    if (!is_algorithm(alg)) {
        return make_failure(errc::invalid_digest, "invalid digest " + detail::quote(text)
                                                      + ": algorithm " + detail::quote(alg)
                                                      + " must match [a-z0-9]+([+._-][a-z0-9]+)*");
    }
    if (enc.empty() || !std::all_of(enc.begin(), enc.end(), is_encoded_char)) {
        return make_failure(
            errc::invalid_digest,
            "invalid digest " + detail::quote(text) + ": encoded part must match [a-zA-Z0-9=_-]+");
    }
    digest_algorithm a;
    if (alg == "sha256") {
        a = digest_algorithm::sha256;
    } else if (alg == "sha512") {
        a = digest_algorithm::sha512;
    } else {
        return make_failure(errc::unsupported_digest_algorithm,
                            "unsupported digest algorithm " + detail::quote(alg) + " in "
                                + detail::quote(text) + " (supported: sha256, sha512)");
    }
    const std::size_t want = hash_size(a) * 2;
    if (enc.size() != want || !std::all_of(enc.begin(), enc.end(), is_lower_hex)) {
        return make_failure(errc::invalid_digest, "invalid digest " + detail::quote(text) + ": "
                                                      + std::string(alg) + " needs "
                                                      + std::to_string(want)
                                                      + " lowercase hex characters, got "
                                                      + std::to_string(enc.size()) + " characters");
    }
    return digest(a, std::string(text));
}

digest digest::from_hash(digest_algorithm a, std::span<const unsigned char> hash) {
    assert(hash.size() == hash_size(a));
    static constexpr char hex[] = "0123456789abcdef";
    std::string text(to_string(a));
    text += ':';
    for (unsigned char b : hash) {
        text += hex[b >> 4];
        text += hex[b & 15];
    }
    return digest(a, std::move(text));
}

digest digest::of(std::span<const std::byte> data, digest_algorithm a) {
    hasher h(a);
    h.update(data);
    return h.finish();
}

digest digest::of(std::string_view data, digest_algorithm a) {
    hasher h(a);
    h.update(data);
    return h.finish();
}

std::string_view digest::encoded() const noexcept {
    const auto colon = text_.find(':');
    return colon == std::string::npos ? std::string_view{}
                                      : std::string_view(text_).substr(colon + 1);
}

std::ostream& operator<<(std::ostream& os, const digest& d) {
    return os << d.str();
}

}  // namespace oras
