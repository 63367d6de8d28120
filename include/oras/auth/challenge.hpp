// challenge: the parsed `WWW-Authenticate` header (RFC 7235), and the Bearer form registries use.
#pragma once

#include <oras/result.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::auth {

/// One challenge: a scheme and its parameters (or a token68).
struct challenge {
    std::string scheme;  ///< lowercase: "basic", "bearer", ...
    /// Parameter names lowercase; values unquoted and unescaped.
    std::map<std::string, std::string, std::less<>> params;
    std::string token68;  ///< the rare `Scheme token68` form

    /// The parameter `name` (lowercase), or empty.
    std::string_view param(std::string_view name) const noexcept;

    /// Member-wise: scheme, parameters and token68.
    friend bool operator==(const challenge&, const challenge&) = default;
};

/// Parses a `WWW-Authenticate` value, which may hold several comma-separated challenges
/// (`Basic realm="r", Bearer realm="https://auth",service="s"`). Quoted strings may contain
/// commas, '=' and backslash escapes. Fails with `invalid_response` naming the offending
/// position for anything outside the grammar (unterminated quotes, a missing scheme, a parameter
/// without a value, control characters). Headers over 8 KiB are refused.
result<std::vector<challenge>> parse_www_authenticate(std::string_view header);

/// The challenges of several `WWW-Authenticate` fields, in order.
result<std::vector<challenge>> parse_www_authenticate(const std::vector<std::string_view>& headers);

/// A Bearer challenge as the distribution token protocol uses it.
struct bearer_challenge {
    std::string realm;                ///< the token endpoint URL (required)
    std::string service;              ///< may be empty
    std::vector<std::string> scopes;  ///< the `scope` parameter split on spaces
    std::string error;                ///< e.g. "insufficient_scope", "invalid_token"

    /// Member-wise, `scopes` in order.
    friend bool operator==(const bearer_challenge&, const bearer_challenge&) = default;
};

/// Extracts the Bearer parameters; fails with `invalid_response` when `c` is not Bearer or has
/// no realm.
result<bearer_challenge> to_bearer(const challenge& c);

}  // namespace oras::auth

#pragma GCC visibility pop
