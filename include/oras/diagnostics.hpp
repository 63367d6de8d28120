// What the server said and where, kept beside an error code for people to read.
#pragma once

#include <oras/result.hpp>

#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras {

/// One entry of a registry's `{"errors":[...]}` body. All text is untrusted: it came from the
/// server. Use `display()` before printing it to a terminal.
struct registry_error {
    std::string code;     ///< e.g. "MANIFEST_UNKNOWN"
    std::string message;  ///< the registry's human-readable message
    std::string detail;   ///< the raw JSON of the `detail` member, if any

    /// Member-wise: code, message and detail.
    friend bool operator==(const registry_error&, const registry_error&) = default;
};

/// The context of a failed request. Empty fields mean "not applicable" (a local failure).
struct diagnostics {
    std::string method;                  ///< HTTP method, e.g. "PUT"
    unsigned status = 0;                 ///< HTTP status; 0 when no response was received
    std::string url;                     ///< with credentials and secret parameters redacted
    std::vector<registry_error> errors;  ///< the registry's error list, in order

    /// One line: `PUT https://host/v2/... -> 400: DIGEST_INVALID: provided digest did not match`.
    std::string summary() const;
    /// True when no request is named (no method, status or URL): a local failure. `errors` is
    /// not looked at.
    bool empty() const noexcept { return method.empty() && status == 0 && url.empty(); }
};

/// Removes what must never reach a log: the userinfo of a URL and the values of query
/// parameters that carry secrets (token, signature, password, credential, ...). The rest of the
/// URL is kept so that the message stays useful. Input that is not a URL is returned unchanged
/// except for anything before an '@' in what looks like an authority.
std::string redact_url(std::string_view url);

/// Makes untrusted text safe for one line of a terminal or log: control characters and invalid
/// UTF-8 become '?', and text longer than `max_bytes` is cut with "...".
std::string display(std::string_view untrusted, std::size_t max_bytes = 512);

/// Parses a distribution-spec error body: `{"errors":[{"code":..,"message":..,"detail":..}]}`.
/// Fails with `invalid_response` when the body is not such a document (HTML, plain text).
result<std::vector<registry_error>> parse_registry_errors(std::string_view body);

}  // namespace oras

#pragma GCC visibility pop
