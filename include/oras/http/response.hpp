// response: a status, header fields, and a body read as it arrives.
#pragma once

#include <oras/http/fields.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/url/url.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#pragma GCC visibility push(default)

namespace oras::http {

// Internal state, not exported.
#pragma GCC visibility push(hidden)
namespace detail {
class body_reader;
}
#pragma GCC visibility pop

/// A response whose body has not been read yet. It holds its connection until the body has been
/// read to the end (then the connection returns to the pool) or the response is destroyed (then
/// a connection with unread bytes is closed, never reused). Move-only.
///
/// Lifetime: the response may outlive the `client` that produced it only if it is not read
/// after the client's executor has stopped.
class response {
  public:
    response();
    /// Takes over the other response's connection and unread body; that one is left without.
    response(response&&) noexcept;
    /// Lets go of this response's body as the destructor would, then takes over the other's.
    response& operator=(response&&) noexcept;
    ~response();

    /// The status code, e.g. 200; 0 for a default-constructed response.
    unsigned status() const noexcept { return status_; }
    /// The reason phrase as the server sent it: untrusted text, possibly empty.
    const std::string& reason() const noexcept { return reason_; }
    /// The header fields, in the order received.
    const http::fields& headers() const noexcept { return fields_; }
    /// Content-Length, if the server sent one (and the body is not chunked).
    std::optional<std::uint64_t> content_length() const noexcept { return content_length_; }
    /// The URL that answered, after redirects.
    const boost::urls::url& url() const noexcept { return url_; }

    /// Reads the next body bytes into `buffer`; 0 means the body is complete. A body cut short
    /// (the connection closed before Content-Length bytes or the last chunk) throws
    /// `oras::error` with Beast's `http::error::partial_message` (`oras::is_transient` holds
    /// for it), never returns a silent end.
    boost::asio::awaitable<std::size_t> read_some(std::span<std::byte> buffer);

    /// Reads the rest of the body into a string; throws `errc::size_exceeds_limit` past `limit`.
    boost::asio::awaitable<std::string> read_all(std::size_t limit);

    /// Reads and drops the rest of the body, up to `limit` bytes, so that the connection can be
    /// reused; beyond that (or on a read failure) the response is abandoned instead.
    boost::asio::awaitable<void> discard(std::size_t limit = 64 * 1024);

    /// True once the whole body has been read. False after a failed read or `abandon()`: such
    /// a body never reads as a clean end.
    bool complete() const noexcept;

    /// Gives up on the body: the connection is closed, not reused. Further reads throw.
    void abandon() noexcept;

  private:
    friend class client_impl_access;

    unsigned status_ = 0;
    std::string reason_;
    http::fields fields_;
    std::optional<std::uint64_t> content_length_;
    boost::urls::url url_;
    std::unique_ptr<detail::body_reader> body_;
    bool abandoned_ = false;
};

}  // namespace oras::http

#pragma GCC visibility pop
