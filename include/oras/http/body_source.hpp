// body_source: where a request body comes from.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

#pragma GCC visibility push(default)

namespace oras::http {

/// A request body. Memory and file bodies can be read again from the start, which makes their
/// requests replayable (retried, redirected, re-sent after a 401), and so is a generator that
/// can rewind. Any other generator is read once: a
/// request with one is never silently re-sent.
class body_source {
  public:
    /// Fills the buffer with the next bytes and returns how many; 0 ends the body.
    using generator = std::function<boost::asio::awaitable<std::size_t>(std::span<std::byte>)>;

    /// A body held in memory, shared rather than copied.
    struct memory {
        std::shared_ptr<const std::string> data;  ///< null: an empty body
    };
    /// A slice of a file, read in chunks each time the body is sent.
    struct file_range {
        std::filesystem::path path;  ///< opened when the request is sent
        std::uint64_t offset = 0;    ///< of the first byte sent
        /// Bytes sent (the Content-Length); a file that ends sooner fails the request with
        /// `errc::size_mismatch`.
        std::uint64_t length = 0;
    };
    /// A body produced by a generator (see `from_generator`).
    struct stream {
        /// Called for each chunk until it returns 0; with a `length`, ending at another count
        /// fails the request with `errc::size_mismatch`.
        generator next;
        std::optional<std::uint64_t> length;  ///< unknown: sent with chunked encoding
        /// Restarts `next` from the first byte. When set the body is replayable: the client
        /// calls it before each time it sends the body.
        std::function<void()> rewind;
    };

    /// No body.
    body_source() = default;

    /// A memory body owning `data`.
    static body_source from_string(std::string data);
    /// A memory body sharing `data` (null: empty) instead of copying it.
    static body_source from_shared(std::shared_ptr<const std::string> data);
    /// `length` bytes of `path` from `offset`, read in chunks: never the whole file in memory.
    /// The file is opened when the request is sent.
    static body_source from_file(std::filesystem::path path, std::uint64_t offset,
                                 std::uint64_t length);
    /// The whole of `path`; fails (throws `oras::error`) if it cannot be inspected.
    static body_source from_file(std::filesystem::path path);
    /// A body produced on demand, of known or unknown length.
    static body_source from_generator(generator next,
                                      std::optional<std::uint64_t> length = std::nullopt,
                                      std::function<void()> rewind = {});

    /// The body's length in bytes, if known ahead (sent as Content-Length).
    std::optional<std::uint64_t> length() const noexcept;
    /// Whether the body can be sent again from its start: true for no body, memory and file
    /// bodies, and generators with a `rewind`.
    bool replayable() const noexcept {
        const auto* s = std::get_if<stream>(&source_);
        return s == nullptr || static_cast<bool>(s->rewind);
    }
    /// True when the length is known to be 0; false for a generator of unknown length.
    bool empty() const noexcept { return length() == std::uint64_t{0}; }

    /// Where the bytes come from, for the HTTP client; `std::monostate` when there is no body.
    const std::variant<std::monostate, memory, file_range, stream>& source() const noexcept {
        return source_;
    }

  private:
    std::variant<std::monostate, memory, file_range, stream> source_;
};

}  // namespace oras::http

#pragma GCC visibility pop
