// Internal: gzip as ORAS layers carry it, streamed both ways with zlib.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace oras::content::detail {

/// Gzip compression with a fixed header (mtime 0, no name, OS byte 255 "unknown" as Go's
/// compress/gzip writes it), so that the same input gives the same bytes on every host that
/// has the same zlib. Move-only.
class gzip_encoder {
  public:
    /// `level` is zlib's, 0 (stored) to 9.
    explicit gzip_encoder(int level = 6);
    ~gzip_encoder();
    gzip_encoder(gzip_encoder&& other) noexcept;
    gzip_encoder& operator=(gzip_encoder&& other) noexcept;
    gzip_encoder(const gzip_encoder&) = delete;
    gzip_encoder& operator=(const gzip_encoder&) = delete;

    /// Compresses `in`, appending whatever output is ready to `out`.
    void write(std::span<const std::byte> in, std::vector<std::byte>& out);
    /// Ends the stream, appending the rest to `out`; `write` may then start a new stream.
    void finish(std::vector<std::byte>& out);

    /// One-shot helper.
    static std::vector<std::byte> compress(std::span<const std::byte> in, int level = 6);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// Gzip decompression of a stream fed in chunks of any size; concatenated gzip members are one
/// stream (as gzip(1) and Go's reader take them). Move-only.
class gzip_decoder {
  public:
    gzip_decoder();
    ~gzip_decoder();
    gzip_decoder(gzip_decoder&& other) noexcept;
    gzip_decoder& operator=(gzip_decoder&& other) noexcept;
    gzip_decoder(const gzip_decoder&) = delete;
    gzip_decoder& operator=(const gzip_decoder&) = delete;

    using sink_fn = std::function<void(std::span<const std::byte>)>;

    /// Decompresses `in`, handing the output to `sink` in pieces of at most 256 KiB. Throws
    /// `oras::error` (`invalid_response`) for data that is not gzip or is corrupt.
    void write(std::span<const std::byte> in, const sink_fn& sink);

    /// Throws `invalid_response` unless at least one member ended and none is cut short.
    void finish();

    /// One-shot helper.
    static std::vector<std::byte> decompress(std::span<const std::byte> in);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace oras::content::detail
