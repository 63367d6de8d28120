// Options of the HTTP client. Every field has a default; see each comment.
#pragma once

#include <oras/http/fields.hpp>
#include <oras/version.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <system_error>

namespace oras::http {

struct tls_options {
    /// Trust the system's CA store (OpenSSL's default paths).
    bool use_system_ca = true;
    /// A PEM file of extra CAs to trust; empty for none.
    std::string ca_file;
    /// A client certificate (PEM) and its key for mutual TLS; both or neither.
    std::string client_certificate_file;
    std::string client_key_file;
    /// Skip certificate and hostname verification. Never the default; for tests and for
    /// registries a user has explicitly marked insecure.
    bool insecure_skip_verify = false;
};

struct timeout_options {
    std::chrono::milliseconds connect{30'000};        ///< TCP connect (per address tried)
    std::chrono::milliseconds tls_handshake{30'000};  ///< TLS handshake
    /// Longest wait for progress of one read or write; a stalled peer fails after this.
    std::chrono::milliseconds io{60'000};
    /// Pooled keep-alive connections idle longer than this are closed, not reused.
    std::chrono::milliseconds idle_connection{90'000};
};

struct retry_options {
    /// Retries after the first attempt, for connection failures before a response and for
    /// statuses 408, 429, 500, 502, 503 and 504 (500, 502 and 504 only for idempotent
    /// requests); only for requests whose body can be replayed.
    unsigned max_retries = 3;
    /// Backoff before retry n (from 0) is drawn from [d/2, d], d = min(base * 2^n, max).
    std::chrono::milliseconds base_delay{250};
    std::chrono::milliseconds max_delay{8'000};
    /// A `Retry-After` longer than this is not waited for: the response is returned instead.
    /// A 429 or 503 with `Retry-After` also holds back every new request to the same origin
    /// (scheme, host, port) until then (at most this long): a throttled registry is not sent
    /// more work by the client's other requests meanwhile.
    std::chrono::milliseconds max_retry_after{60'000};
};

struct proxy_options {
    /// Read HTTPS_PROXY, HTTP_PROXY and NO_PROXY (or their lowercase forms) at construction.
    bool from_environment = true;
    /// Explicit settings; when non-empty they override the environment.
    std::string http_proxy;
    std::string https_proxy;
    std::string no_proxy;
};

/// What the logging hook sees of one request attempt. Authorization, cookies and token
/// parameters are already redacted.
struct log_event {
    std::string method;
    std::string url;
    unsigned status = 0;  ///< 0 if no response arrived
    fields request_headers;
    fields response_headers;
    std::error_code error;  ///< set when the attempt failed without a response
    unsigned attempt = 0;   ///< 0 for the first try
    std::chrono::microseconds elapsed{0};
};

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
    timeout_options timeouts;
    tls_options tls;
    retry_options retry;
    proxy_options proxy;
    /// Sent as User-Agent.
    std::string user_agent = "oras-cpp/" ORAS_VERSION_STRING;
    /// Called after every attempt; must not throw. Empty: no logging.
    std::function<void(const log_event&)> log;
};

}  // namespace oras::http
