// Options of the HTTP client. Every field has a default; see each comment.
#pragma once

#include <oras/http/fields.hpp>
#include <oras/version.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <system_error>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::http {

/// How the client verifies https servers and identifies itself to them. The files are loaded
/// when the client is constructed.
struct tls_options {
    /// Trust the system's CA store (OpenSSL's default paths).
    bool use_system_ca = true;
    /// A PEM file of extra CAs to trust; empty for none.
    std::string ca_file;
    /// A client certificate (PEM) and its key for mutual TLS; both or neither.
    std::string client_certificate_file;
    std::string client_key_file;  ///< the private key (PEM) of `client_certificate_file`
    /// Skip certificate and hostname verification. Never the default; for tests and for
    /// registries a user has explicitly marked insecure.
    bool insecure_skip_verify = false;
};

/// Time limits of the client's network steps. Each bounds one step, not a whole request: a large
/// body may take as long as it keeps making progress.
struct timeout_options {
    std::chrono::milliseconds connect{30'000};        ///< TCP connect (per address tried)
    std::chrono::milliseconds tls_handshake{30'000};  ///< TLS handshake
    /// Longest wait for progress of one read or write; a stalled peer fails after this.
    std::chrono::milliseconds io{60'000};
    /// Pooled keep-alive connections idle longer than this are closed, not reused: when their
    /// origin is asked again, or when any other request of the client ends (no timer: a
    /// client nobody uses keeps its idle connections until it goes or `close_idle`).
    std::chrono::milliseconds idle_connection{90'000};
};

/// When the client sends a request again, and how long it waits first.
struct retry_options {
    /// Retries after the first attempt, for connection failures before a response and for
    /// statuses 408, 429, 500, 502, 503 and 504 (500, 502 and 504 only for idempotent
    /// requests); only for requests whose body can be replayed.
    unsigned max_retries = 3;
    /// Backoff before retry n (from 0) is drawn from [d/2, d], d = min(base * 2^n, max).
    std::chrono::milliseconds base_delay{250};
    /// The longest backoff: `max` above.
    std::chrono::milliseconds max_delay{8'000};
    /// A `Retry-After` longer than this is not waited for: the response is returned instead.
    /// A 429 or 503 with `Retry-After` also holds back every new request to the same origin
    /// (scheme, host, port) until then (at most this long): a throttled registry is not sent
    /// more work by the client's other requests meanwhile.
    std::chrono::milliseconds max_retry_after{60'000};
};

/// The HTTP proxies requests go through. A proxy is an `http://host[:port]` URL (the scheme may
/// be left out; the port defaults to 80); https requests are tunnelled through it with CONNECT.
struct proxy_options {
    /// Read HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lowercase forms) at construction.
    bool from_environment = true;
    /// Explicit settings; when non-empty they override the environment.
    std::string http_proxy;
    /// The proxy for https URLs, as `http_proxy` is for http ones. The environment is read only
    /// when both are empty.
    std::string https_proxy;
    /// Hosts reached directly, comma-separated: a name (matching itself and its subdomains),
    /// `.name` or `*.name` (its subdomains only), an IP address, a CIDR range, any of these with
    /// `:port`, or `*` for every host. Empty: NO_PROXY, when the environment is read.
    std::string no_proxy;
};

/// What the logging hook sees of one request attempt. Authorization, cookies and token
/// parameters are already redacted.
struct log_event {
    std::string method;       ///< as sent, e.g. "PUT"
    std::string url;          ///< redacted as `redact_url` does
    unsigned status = 0;      ///< 0 if no response arrived
    fields request_headers;   ///< the request's own fields and `client_options::extra_headers`,
                              ///< not those the client writes (Host, User-Agent, ...)
    fields response_headers;  ///< empty if no response arrived
    std::error_code error;    ///< set when the attempt failed without a response
    unsigned attempt = 0;     ///< 0 for the first try
    /// From the start of the attempt to the arrival of the response head, or to the failure.
    std::chrono::microseconds elapsed{0};
};

/// Connect to another address for one host and port (curl's and the ORAS CLI's `--resolve`).
/// The URL, the Host field, TLS SNI and certificate verification all keep `host`: only the
/// address dialled changes. Not used through an HTTP proxy, which resolves names itself.
struct address_override {
    std::string host;                ///< as in URLs: a name, an IPv4 literal or `[v6]`
    std::uint16_t port = 0;          ///< the port the URL names (443 and 80 included)
    std::string address;             ///< an IP address literal, IPv6 with or without brackets
    std::uint16_t address_port = 0;  ///< 0: the same as `port`

    /// Member-wise.
    friend bool operator==(const address_override&, const address_override&) = default;
};

/// What an `http::client` is constructed with. Every field has a default; see each.
struct client_options {
    /// Most connections open at once to one origin (scheme, host, port); further requests wait.
    std::size_t max_connections_per_origin = 16;
    /// Most idle keep-alive connections kept per origin.
    std::size_t max_idle_per_origin = 16;
    /// Reuse connections (HTTP keep-alive). When false every request asks the server to close
    /// its connection afterwards (`Connection: close`) and nothing is pooled.
    bool keep_alive = true;
    /// Redirects followed per request before failing.
    unsigned max_redirects = 10;
    /// Responses read whole (metadata, error bodies) fail beyond this many bytes.
    std::size_t default_body_limit = 4 * 1024 * 1024;
    timeout_options timeouts;  ///< connect, TLS handshake, I/O and idle-connection limits
    tls_options tls;           ///< trusted CAs, client certificate, verification
    retry_options retry;       ///< retries, backoff and Retry-After
    proxy_options proxy;       ///< by default from the environment
    /// Sent as User-Agent.
    std::string user_agent = "oras-cpp/" ORAS_VERSION_STRING;
    /// Added to every request unless the request has a field of that name (the ORAS CLI's
    /// `--header`). Like credentials they are dropped when a redirect leads to another origin
    /// (a blob store), and their values are redacted in log events: such fields often carry
    /// keys.
    fields extra_headers;
    /// Addresses to dial instead of resolving these hosts; the last rule for a host and port
    /// wins, as the ORAS CLI takes repeated `--resolve` flags.
    std::vector<address_override> resolve;
    /// Called after every attempt; must not throw. Empty: no logging.
    std::function<void(const log_event&)> log;
};

}  // namespace oras::http

#pragma GCC visibility pop
