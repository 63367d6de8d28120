// Internal: the transport's decisions as pure functions, unit-tested without sockets.
#pragma once

#include <oras/http/client_options.hpp>
#include <oras/http/fields.hpp>
#include <oras/result.hpp>

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oras::http::detail {

/// (scheme, host, port): what a connection pool, and the credential boundary, is keyed by.
struct origin {
    std::string scheme;  ///< "http" or "https"
    std::string host;    ///< lowercase; IPv6 without brackets
    std::uint16_t port = 0;

    bool tls() const noexcept { return scheme == "https"; }
    /// Host as it goes in a Host header or authority: IPv6 in brackets, port unless default.
    std::string authority() const;
    std::string str() const { return scheme + "://" + authority(); }
    friend bool operator==(const origin&, const origin&) = default;
};

/// The origin of an absolute http(s) URL; fails for other schemes or a missing host.
result<origin> origin_of(boost::urls::url_view u);

/// The request target (origin-form): path and query, "/" when the path is empty.
std::string request_target(boost::urls::url_view u);

/// Resolves a Location header against the URL it answered: absolute, scheme-relative,
/// absolute-path or relative references; the query is kept as sent, the fragment dropped.
/// Fails for unparsable values and non-http(s) results.
result<boost::urls::url> resolve_location(boost::urls::url_view base, std::string_view location);

/// A Retry-After value as a delay: delta-seconds, or an HTTP-date (IMF-fixdate, RFC 850,
/// asctime) relative to `now`, never negative. nullopt for anything else.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

/// 408, 429, 500, 502, 503, 504 (the client retries 500, 502, 504 for idempotent requests).
bool is_retryable_status(unsigned status) noexcept;

/// Delay before retry `n` (0-based): d = min(base * 2^n, max), then d/2 + unit * d/2 with
/// `unit` uniform in [0, 1) so that clients retrying together spread out.
std::chrono::milliseconds backoff_delay(unsigned n, const retry_options& opts,
                                        double unit) noexcept;

/// How to follow a redirect.
struct redirect_plan {
    std::string method;
    bool keep_body = false;
    /// The new origin differs: Authorization, Proxy-Authorization and cookies must not go.
    bool drop_credentials = false;
};

/// nullopt when `status` is not a redirect to follow (not 301/302/303/307/308, or a 307/308
/// whose body cannot be sent again). Fails when the redirect would downgrade https to http.
result<std::optional<redirect_plan>> plan_redirect(unsigned status, std::string_view method,
                                                   const origin& from, const origin& to,
                                                   bool body_replayable);

/// Where to dial for `target` instead of resolving its host: the last of `overrides` naming
/// its host (case-insensitive; IPv6 with or without brackets) and port, as (address, port): a
/// later rule overrides an earlier one, as the ORAS CLI takes repeated `--resolve` flags.
/// nullopt when none does.
std::optional<std::pair<std::string, std::uint16_t>> dial_override(
    const std::vector<address_override>& overrides, const origin& target);

/// localhost, 127.0.0.0/8, ::1.
bool is_loopback_host(std::string_view host) noexcept;

/// Proxy settings after reading the environment.
struct proxy_settings {
    std::string http_proxy;
    std::string https_proxy;
    std::string no_proxy;
    bool from_environment = false;

    static proxy_settings from(const proxy_options& opts);
};

/// Whether `host:port` is excluded from proxying by a NO_PROXY list: comma-separated entries of
/// `*`, IP addresses, CIDR ranges, and domain names (`example.com` matches it and its
/// subdomains, `.example.com` and `*.example.com` only subdomains), each optionally with :port.
bool no_proxy_matches(std::string_view no_proxy, std::string_view host, std::uint16_t port);

/// The proxy for `target`, if any. Loopback targets are never proxied through settings taken
/// from the environment. Fails for a proxy URL that is not http://host[:port].
result<std::optional<boost::urls::url>> select_proxy(const origin& target,
                                                     const proxy_settings& settings);

/// Refuses field names that are not HTTP tokens and values with CR, LF or NUL (header
/// injection).
result<void> validate_field(std::string_view name, std::string_view value);

/// A copy with Authorization, Proxy-Authorization, Cookie and Set-Cookie values replaced, and
/// those of any field named in `also_secret` (the client's extra headers).
fields redact_fields(const fields& f, const fields& also_secret = {});

}  // namespace oras::http::detail
