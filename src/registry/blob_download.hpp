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
using rest_opener = std::function<boost::asio::awaitable<content::blob_reader>(std::uint64_t)>;

/// A reader of `desc` (unverified: the caller wraps it) that fetches it as `parts` streams of
/// Range requests of `chunk` bytes: stream k asks for chunks k, k + parts, k + 2 parts..., so
/// that the chunks the reader hands out next are always the ones in flight. Memory is
/// `parts * chunk` whatever the size; bytes come out in order, so the digest is computed as the
/// contiguous prefix grows. A chunk whose connection drops is asked for again (up to the
/// repository's `max_resumes` times in all). Nothing when the registry answers the first Range
/// request with the whole blob (no range support): the caller reads it as one stream instead.
/// The first chunk is fetched and timed before the others: when it came at `fast_rate` bytes
/// per second or faster (request included; 0: never) the rest comes through `open_rest(first
/// chunk's length)` as one stream, and when its connection drops the whole blob does
/// (`open_rest(0)`, which resumes after drops).
///
/// The fetches run on the calling coroutine's executor, which must be the repository's strand.
/// Destroying the reader (or rewinding it) stops them at their next chunk.
boost::asio::awaitable<std::optional<content::blob_reader>> open_striped(
    std::shared_ptr<repository_state> repo, descriptor desc, std::size_t parts, std::size_t chunk,
    std::uint64_t fast_rate, rest_opener open_rest);

}  // namespace oras::registry::detail
