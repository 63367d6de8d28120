// request: what the HTTP client sends.
#pragma once

#include <oras/byte_source.hpp>
#include <oras/http/fields.hpp>

#include <boost/url/url.hpp>

#include <string>

#pragma GCC visibility push(default)

namespace oras::http {

/// What `http::client::send` sends: a method, an absolute URL, header fields and a body.
struct request {
    /// Sent as is (case matters: "GET", "PUT"); not an HTTP token: sending fails with
    /// `errc::invalid_argument`.
    std::string method = "GET";
    /// Absolute http or https URL.
    boost::urls::url url;
    /// Extra fields. Host, Content-Length, Transfer-Encoding and Connection are set by the
    /// client; User-Agent is added unless present.
    fields headers;
    /// None by default. Whether it is replayable decides whether the request may be sent again
    /// (see `byte_source`).
    byte_source body;
    /// The body carries credentials (a token request's password or refresh token): a redirect
    /// (307/308) that would re-send it to another origin is refused (`invalid_response`), as
    /// `Authorization` is never sent there.
    bool body_has_credentials = false;

    /// GET, HEAD, PUT, DELETE, OPTIONS: repeating them has the effect of sending them once.
    bool idempotent() const noexcept;
};

}  // namespace oras::http

#pragma GCC visibility pop
