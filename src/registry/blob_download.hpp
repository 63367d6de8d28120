// Internal: one large blob fetched as several Range requests at once, handed out in order.
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

namespace oras::registry::detail {

class repository_state;

/// Opens the blob from a byte offset as one stream (`repository::open_blob_from`).
using rest_opener = std::function<boost::asio::awaitable<byte_source>(std::uint64_t)>;

/// What `open_striped` opened.
struct striped_open {
    byte_source reader;           ///< unverified: the caller wraps it
    bool ranges_ignored = false;  ///< the registry answered a Range request with the whole blob
};

/// A reader of `desc` that, over a link where one stream is slow, fetches it as `parts` streams
/// of Range requests of `chunk` bytes: stream k asks for chunks k, k + parts, k + 2 parts..., so
/// that the chunks the reader hands out next are always the ones in flight. Memory is
/// `parts * chunk` whatever the size; bytes come out in order, so the digest is computed as the
/// contiguous prefix grows. A chunk whose connection drops is asked for again (up to the
/// repository's `max_resumes` times in all).
///
/// It starts with one open-ended request (`Range: bytes=0-`) and times the first chunk's bytes:
/// when they came at `fast_rate` bytes per second or faster (0: never), or the registry
/// answered 200 (no range support), that response is read on as one stream, and after a drop
/// the rest comes through `open_rest(first byte not handed out)`; after a rewind, through
/// `open_rest(0)` once the first chunk was handed out (it is not kept), else from its end.
/// Otherwise it is dropped after the first chunk and the others come as ranges.
///
/// A blob is timed, and read as ranges, only while at most `max_blobs` large blobs are being
/// fetched in the process, itself included (see
/// `repository_options::parallel_download_max_blobs`); otherwise it is opened as one stream
/// through `open_rest(0)`. A striped reader rewound while more are in flight is read again the
/// same way.
///
/// The fetches run on the calling coroutine's executor, which must be the repository's strand.
/// Nothing waits on the reader: a reader left unread holds no pending work. Destroying or
/// rewinding it stops the fetches it started at the end of their chunks.
boost::asio::awaitable<striped_open> open_striped(std::shared_ptr<repository_state> repo,
                                                  descriptor desc, std::size_t parts,
                                                  std::size_t chunk, std::uint64_t fast_rate,
                                                  std::size_t max_blobs, rest_opener open_rest);

/// Large blobs being fetched through `open_striped` in this process now: readers alive whose
/// bytes have not all been handed out.
std::size_t large_blobs() noexcept;

}  // namespace oras::registry::detail
