// byte_source: the bytes a blob, a request body or a manifest comes from, read in order.
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

#pragma GCC visibility push(default)

namespace oras {

/// Bytes read in order, in chunks the reader asks for: what every layer takes and hands out —
/// a target's `push` and `open`, a registry upload, an HTTP request body.
///
/// Every source is read the same way (`read`), whatever it is made from. Sources made from
/// memory or a file also say so (`memory`, `file`), which lets a consumer take a faster path
/// (send memory in one gathered write, send a file with sendfile) without reading; such a
/// consumer calls `consumed` with what it took, so that counters on the source (`counting`,
/// which keeps `memory` and `file`) see those bytes too.
///
/// A byte_source is a handle: copies share one read position. Read it on one executor at a
/// time; nothing in it is thread-safe.
class byte_source {
  public:
    /// Fills the buffer with the next bytes and returns how many; 0 ends the bytes. Returning
    /// more than the buffer holds is a bug the consumers refuse.
    using read_fn = std::function<boost::asio::awaitable<std::size_t>(std::span<std::byte>)>;

    /// A slice of a file.
    struct file_range {
        std::filesystem::path path;  ///< the file, opened when read
        std::uint64_t offset = 0;    ///< of the first byte
        std::uint64_t length = 0;    ///< bytes from `offset`
    };

    /// What is known of the bytes against the digest they are read under (a descriptor's).
    /// Whoever knows sets it; a store uses it to skip hashing the bytes a second time.
    enum class check : std::uint8_t {
        none,    ///< nothing: a consumer that must know hashes the bytes itself
        hashed,  ///< hashed to the digest just before; a change since goes unseen until a
                 ///< registry checks the digest on its side
        /// reads fail instead of handing out the end of bytes whose size or digest differ
        /// (made by `content::verified`, or by a store that checked them)
        verified,
    };

    /// No bytes: `length` 0, the first read ends, replayable.
    byte_source() = default;

    /// The bytes of `data`, owned; replayable.
    static byte_source from_string(std::string data);
    /// The bytes of `data` (null: none), shared rather than copied; replayable.
    static byte_source from_shared(std::shared_ptr<const std::string> data);
    /// `length` bytes of `path` from `offset`, read with pread in the slices asked for (never
    /// whole); replayable. The file is opened at the first read; a file that cannot be opened
    /// fails that read with its errno, one that ends early with `errc::size_mismatch`.
    static byte_source from_file(std::filesystem::path path, std::uint64_t offset,
                                 std::uint64_t length);
    /// The whole of `path` as it is now; throws `oras::error` if its size cannot be read.
    static byte_source from_file(std::filesystem::path path);
    /// Bytes produced by `next`, of known or unknown `length`. With a `rewind` (which restarts
    /// `next` from the first byte) the source is replayable.
    static byte_source from_generator(read_fn next,
                                      std::optional<std::uint64_t> length = std::nullopt,
                                      std::function<void()> rewind = {});

    /// The bytes of `inner`, unchanged, with `on_bytes` told how many each time some are taken,
    /// and `on_rewind` (when given) told of each rewind: a progress counter. Unlike a wrapper
    /// made with `from_generator` it keeps `memory()` and `file()`, since counting needs no
    /// bytes: a consumer keeps its fast path (a gathered write, sendfile) and reports the bytes
    /// it takes that way with `consumed`.
    static byte_source counting(byte_source inner, std::function<void(std::uint64_t)> on_bytes,
                                std::function<void()> on_rewind = {});

    /// Tells the counters on this source (`counting`) that `n` bytes were taken without `read`,
    /// from `memory()` or `file()`. Does nothing on a source without counters.
    void consumed(std::uint64_t n) const;

    /// Reads the next bytes into `buf` and returns how many; 0 at the end. The source must
    /// outlive the returned awaitable.
    boost::asio::awaitable<std::size_t> read(std::span<std::byte> buf) const;

    /// Whether the bytes can be read again from the first (`rewind`): what makes an upload
    /// retried or an HTTP request re-sent after a redirect or a 401.
    bool replayable() const noexcept { return !read_ || static_cast<bool>(rewind_); }
    /// Starts reading from the first byte again. Throws `errc::invalid_argument` when the
    /// source is not replayable.
    void rewind() const;

    /// The number of bytes, when known ahead.
    std::optional<std::uint64_t> length() const noexcept { return length_; }
    /// True when the length is known to be 0; false for bytes of unknown length.
    bool empty() const noexcept { return length_ == std::uint64_t{0}; }

    /// The string the bytes are, when made from memory (or counted over such a source); null
    /// otherwise.
    const std::shared_ptr<const std::string>& memory() const noexcept { return memory_; }
    /// The file range the bytes are, when made by `from_file`; empty otherwise (a wrapper that
    /// must see the bytes, such as a hash, makes a source without it; `counting` keeps it).
    const std::optional<file_range>& file() const noexcept { return file_; }

    /// What is known of the bytes (see `check`); `none` unless set.
    check checked() const noexcept { return checked_; }
    /// Records what is known of the bytes; returns `*this`.
    byte_source& set_checked(check c) noexcept {
        checked_ = c;
        return *this;
    }
    /// Reads fail instead of handing out the end of wrong bytes (`check::verified`).
    bool verified() const noexcept { return checked_ == check::verified; }
    /// The bytes were hashed to their digest (`check::hashed` or `check::verified`).
    bool digest_checked() const noexcept { return checked_ != check::none; }

  private:
    read_fn read_;
    std::function<void()> rewind_;
    std::optional<std::uint64_t> length_ = 0;
    std::shared_ptr<const std::string> memory_;
    std::optional<file_range> file_;
    std::function<void(std::uint64_t)> consumed_;
    check checked_ = check::none;
};

}  // namespace oras

#pragma GCC visibility pop
