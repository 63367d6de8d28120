// A small blocking HTTP/1.1 client for tests: one request per connection, http and https.
//
// It is deliberately independent of oras's own HTTP layer, so tests can poke a registry (or the
// token issuer) directly and check what the library under test did. Nothing here follows
// redirects, retries or authenticates by itself.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oras::test {

using header_list = std::vector<std::pair<std::string, std::string>>;

/// A whole response, read into memory.
struct http_response {
    unsigned status = 0;
    /// In the order received; names as sent by the server.
    header_list headers{};
    std::string body{};

    /// The first header named `name` (ASCII case-insensitive), or "" when there is none.
    std::string header(std::string_view name) const;
    /// Whether a header named `name` is present (case-insensitive).
    bool has_header(std::string_view name) const;
    /// Every value of the headers named `name`, in order.
    std::vector<std::string> headers_named(std::string_view name) const;
};

struct request_options {
    /// https: PEM file of the CA(s) to trust. Empty: the system's default trust store.
    std::string ca_file{};
    /// https: skip certificate and host name verification altogether.
    bool insecure = false;
    /// Extra request headers, sent as given (e.g. {"Authorization", basic_auth(u, p)}).
    header_list headers{};
    /// Request body; Content-Length is always set for methods that carry one (POST, PUT, PATCH).
    std::string body{};
    /// Content-Type of the body; empty: no Content-Type header unless given in `headers`.
    std::string content_type{};
    /// Limit for the whole exchange (resolve, connect, TLS handshake, write, read).
    std::chrono::milliseconds timeout{30'000};
    /// Largest response body accepted; larger bodies fail the request.
    std::size_t body_limit = 256u * 1024u * 1024u;
};

/// Sends one request and reads the whole response (for HEAD, headers only). `url` is absolute,
/// `http://` or `https://`; the host may be a name or an IP literal. For https the server
/// certificate is verified against `ca_file` and the URL's host (DNS name or IP address, via
/// subjectAltName), and SNI is sent for DNS names.
///
/// Any HTTP status is a success. Throws `std::system_error` (a `std::runtime_error`) on
/// transport failures — connection refused, timeout, TLS verification failure, malformed
/// response — and `std::invalid_argument` for a URL it cannot use.
http_response http_request(std::string_view method, std::string_view url,
                           const request_options& options = {});

/// "Basic " + base64(user ":" password), for an Authorization header.
std::string basic_auth(std::string_view user, std::string_view password);

/// "Bearer " + token.
std::string bearer_auth(std::string_view token);

/// Resolves a possibly relative URL reference (such as an upload Location) against `base`
/// (RFC 3986 section 5). Throws `std::invalid_argument` if either does not parse.
std::string resolve_url(std::string_view base, std::string_view reference);

/// Appends `name=value` (value percent-encoded) to `url`'s query, keeping what is there.
std::string append_query(std::string_view url, std::string_view name, std::string_view value);

}  // namespace oras::test
