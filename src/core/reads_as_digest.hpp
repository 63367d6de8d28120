// Internal: whether a reference is read as a digest rather than as a name.
#pragma once

#include <oras/digest.hpp>

#include <string_view>

namespace oras::detail {

/// True when `text` starts with a supported algorithm and `:` (`sha256:...`): a digest, or a
/// malformed one, and never a tag or layout name, however the rest reads.
inline bool reads_as_digest(std::string_view text) noexcept {
    for (const auto a : {digest_algorithm::sha256, digest_algorithm::sha512}) {
        const auto name = to_string(a);
        if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == ':') {
            return true;
        }
    }
    return false;
}

}  // namespace oras::detail
