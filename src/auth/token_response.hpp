// Internal: a token service's answer (the Docker token spec and OAuth2's form), parsed without
// I/O so that it is unit-tested and fuzzed.
#pragma once

#include <oras/result.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace oras::auth::detail {

struct token_response {
    std::string token;  ///< `token`, else `access_token`; never empty
    /// `expires_in` in whole seconds (a float is truncated); 0 when absent or out of range.
    std::chrono::seconds expires_in{0};
    std::string refresh_token;
};

/// Fails with `invalid_response` naming `realm` for a body that is not a JSON object, holds no
/// token, holds a member of the wrong type, or a token with bytes that cannot go in a header.
result<token_response> parse_token_response(std::string_view body, std::string_view realm);

}  // namespace oras::auth::detail
