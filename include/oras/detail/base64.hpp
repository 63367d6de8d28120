// Base64 (RFC 4648) for Basic credentials, descriptor data and tokens.
#pragma once

#include <oras/result.hpp>

#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::detail {

/// Standard alphabet with padding; `url` selects the URL-safe alphabet without padding (JWT).
std::string base64_encode(std::string_view bytes, bool url = false);

/// Decodes the standard alphabet, padding required, no whitespace. Fails with
/// `invalid_argument` on anything else.
result<std::string> base64_decode(std::string_view text);

}  // namespace oras::detail

#pragma GCC visibility pop
