#include "registry/blob_download.hpp"

#include <oras/error.hpp>

#include "core/cancelled.hpp"
#include "core/quote.hpp"
#include "http/headers.hpp"
#include "registry/protocol.hpp"
#include "registry/repository_state.hpp"

#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace oras::registry::detail {

namespace {

// Large blobs being fetched through `open_striped` now, over every repository and thread.
std::atomic<std::size_t> large_count{0};

/// Counts one large blob being fetched: held by its reader until the bytes end (taken again by
/// a rewind) or the reader goes.
class large_fetch {
  public:
    large_fetch() noexcept { large_count.fetch_add(1, std::memory_order_relaxed); }
    ~large_fetch() { large_count.fetch_sub(1, std::memory_order_relaxed); }
    large_fetch(const large_fetch&) = delete;
    large_fetch& operator=(const large_fetch&) = delete;

    /// Whether a blob may be timed or striped now: at most `max_blobs` large blobs are being
    /// fetched, this one included.
    static bool few(std::size_t max_blobs) noexcept {
        return large_count.load(std::memory_order_relaxed) <= max_blobs;
    }
};

/// Counts a reader read again from its first byte (a request re-sent) once more.
void count_again(std::shared_ptr<large_fetch>& fetch) {
    if (!fetch) {
        fetch = std::make_shared<large_fetch>();
    }
}

/// Gives the count back once a reader's bytes ended: a read of `n` of `asked` bytes that made
/// `delivered` of the blob's `size` (a reader that checks the size stops asking at the last).
void count_end(std::shared_ptr<large_fetch>& fetch, std::size_t n, std::size_t asked,
               std::uint64_t delivered, std::uint64_t size) {
    if ((n == 0 && asked != 0) || delivered >= size) {
        fetch.reset();
    }
}

/// A reader opened as one stream, counted as a large fetch until its bytes end.
struct counted_large {
    byte_source inner;
    std::shared_ptr<large_fetch> fetch;
    std::uint64_t size = 0;  // of the blob
    std::uint64_t delivered = 0;
};

asio::awaitable<std::size_t> read_counted(std::shared_ptr<counted_large> h,
                                          std::span<std::byte> out) {
    const auto n = co_await h->inner.read(out);
    h->delivered += n;
    count_end(h->fetch, n, out.size(), h->delivered, h->size);
    co_return n;
}

byte_source counted_as_large(byte_source inner, std::shared_ptr<large_fetch> fetch,
                             std::uint64_t size) {
    const auto length = inner.length();
    const bool replayable = inner.replayable();
    auto h =
        std::make_shared<counted_large>(counted_large{std::move(inner), std::move(fetch), size, 0});
    std::function<void()> rewind;
    if (replayable) {
        rewind = [h] {
            h->inner.rewind();
            h->delivered = 0;
            count_again(h->fetch);
        };
    }
    return byte_source::from_generator(
        [h](std::span<std::byte> out) { return read_counted(h, out); }, length, std::move(rewind));
}

/// Waits for `t` to be cancelled: a condition variable on one strand, where the waiter checks
/// its condition before it waits and the notifier changes the state before it cancels.
asio::awaitable<void> wait_on(asio::steady_timer& t) {
    t.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code ec;
    co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

struct striped {
    struct slot {
        std::unique_ptr<std::byte[]> buf{};
        std::size_t filled = 0;
        std::uint64_t index = std::numeric_limits<std::uint64_t>::max();
        bool ready = false;
        std::exception_ptr failed{};
    };

    striped(std::shared_ptr<repository_state> r, descriptor d, std::size_t p, std::size_t c,
            asio::any_io_executor ex)
        : repo(std::move(r)),
          desc(std::move(d)),
          size(static_cast<std::uint64_t>(desc.size)),
          chunk(c),
          parts(p),
          chunks((size + c - 1) / c),
          executor(ex),
          reader_wake(ex) {
        what = "cannot fetch blob " + desc.digest.str() + " from " + repo->where();
        for (std::size_t i = 0; i < parts; ++i) {
            slots.push_back(std::make_unique<slot>());
        }
    }

    std::uint64_t length_of(std::uint64_t i) const {
        return std::min<std::uint64_t>(chunk, size - i * chunk);
    }

    void stop() {
        stopped = true;
        reader_wake.cancel();
    }

    std::shared_ptr<repository_state> repo;
    descriptor desc;
    std::string what;
    std::uint64_t size;
    std::uint64_t chunk;
    std::size_t parts;
    std::uint64_t chunks;
    asio::any_io_executor executor;
    std::vector<std::unique_ptr<slot>> slots;
    asio::steady_timer reader_wake;
    std::uint64_t next = 0;  // the chunk the reader hands out now
    std::size_t pos = 0;     // bytes of it handed out
    unsigned retries = 0;    // shared by every stream, bounded by max_resumes
    bool started = false;
    bool stopped = false;
};

/// GET of bytes [offset, end) answered 206 with exactly that range; a 200 is returned as it is
/// (no range support), any other status thrown as the registry's error. `end` is the blob's
/// size for an open-ended request (`bytes=offset-`), which is then what is asked.
asio::awaitable<http::response> get_range(repository_state& repo, const digest& d,
                                          std::uint64_t offset, std::uint64_t end, bool open_ended,
                                          std::string what) {
    const auto asked = "bytes=" + std::to_string(offset) + "-"
                       + (open_ended ? std::string() : std::to_string(end - 1));
    http::fields headers;
    headers.set("Range", asked);
    auto resp = co_await repo.send("GET", repo.blob_url(d), repo.pull_, {}, std::move(headers));
    if (resp.status() == 200) {
        co_return resp;
    }
    if (resp.status() != 206) {
        co_await repo.fail(resp, "GET", what);
    }
    const auto range = http::detail::parse_content_range(resp.headers().get("Content-Range"));
    if (!range || range->first != offset || range->last + 1 != end) {
        resp.abandon();
        throw error(errc::invalid_response,
                    what + ": asked for " + asked + ", the registry answered "
                        + oras::detail::quote(resp.headers().get("Content-Range")),
                    diagnostics{"GET", resp.status(), redact_url(resp.url().buffer()), {}});
    }
    co_return resp;
}

/// Whether a range fetch failed because the registry answered another range than asked (a 200
/// for a bounded range, a Content-Range elsewhere, fewer bytes than it announced) rather than
/// because the blob or the link failed: what one plain stream can still get past.
bool answered_elsewhere(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const error& x) {
        return x.code() == errc::invalid_response || x.code() == errc::size_mismatch;
    } catch (...) {
        return false;
    }
}

/// Reads the body of `resp` into `into` until `into` is full or the body ends; the bytes read.
/// The caller keeps `resp` alive until this completes.
asio::awaitable<std::size_t> read_full(http::response& resp, std::span<std::byte> into) {
    std::size_t got = 0;
    while (got < into.size()) {
        const auto n = co_await resp.read_some(into.subspan(got));
        if (n == 0) {
            break;
        }
        got += n;
    }
    co_return got;
}

/// Fetches chunk `i` into `s`, asking again after a dropped connection.
asio::awaitable<void> fill(std::shared_ptr<striped> st, std::size_t k, std::uint64_t i) {
    auto& s = *st->slots[k];
    const auto offset = i * st->chunk;
    const auto length = st->length_of(i);
    if (!s.buf) {
        s.buf.reset(new std::byte[st->chunk]);
    }
    for (;;) {
        std::exception_ptr broken;
        try {
            auto resp = co_await get_range(*st->repo, st->desc.digest, offset, offset + length,
                                           false, st->what);
            if (resp.status() == 200) {
                resp.abandon();
                throw error(errc::invalid_response,
                            st->what + ": the registry answered a Range request for bytes "
                                + std::to_string(offset) + "+ with the whole blob");
            }
            const auto got =
                co_await read_full(resp, std::span(s.buf.get(), static_cast<std::size_t>(length)));
            if (got < length) {
                throw error(errc::size_mismatch, st->what + ": bytes " + std::to_string(offset)
                                                     + "+ ended after " + std::to_string(got)
                                                     + " of " + std::to_string(length));
            }
            co_await resp.discard();
            s.filled = got;
            co_return;
        } catch (...) {
            broken = std::current_exception();
        }
        if (st->stopped || !is_transient(broken) || st->retries >= st->repo->options_.max_resumes) {
            std::rethrow_exception(broken);
        }
        ++st->retries;
    }
}

/// Fetches chunk `i` into its slot (free: the reader is past the chunk it held) and wakes the
/// reader. Nothing waits on the reader, so an io_context run to completion is never held up by a
/// reader that is not being read.
asio::awaitable<void> fetch_chunk(std::shared_ptr<striped> st, std::uint64_t i) {
    if (st->stopped) {
        co_return;
    }
    const auto k = static_cast<std::size_t>(i % st->parts);
    std::exception_ptr failed;
    try {
        co_await fill(st, k, i);
    } catch (...) {
        failed = std::current_exception();
    }
    auto& s = *st->slots[k];
    s.index = i;
    s.failed = failed;
    s.ready = !failed;
    st->reader_wake.cancel();
}

void start_fetch(const std::shared_ptr<striped>& st, std::uint64_t i) {
    if (i < st->chunks) {
        asio::co_spawn(st->executor, fetch_chunk(st, i), asio::detached);
    }
}

/// What the reader's functions share: stops the streams when the last copy goes (what the
/// fetches still in flight hold is freed as they end).
struct handle {
    std::shared_ptr<striped> st;  // null once read as one stream
    std::shared_ptr<large_fetch> fetch;
    // A rewind that finds more than the blobs allowed striped at once reads the blob again as
    // one stream, as `open_striped` would have opened it then.
    rest_opener open_rest{};
    std::optional<byte_source> whole{};
    std::uint64_t size = 0;       // of the blob
    std::uint64_t delivered = 0;  // by `whole`
    handle() = default;
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;
    ~handle() {
        if (st) {
            st->stop();
        }
    }
};

asio::awaitable<std::size_t> read_striped(std::shared_ptr<handle> h, std::span<std::byte> out) {
    if (!h->st) {
        if (out.empty()) {
            co_return 0;  // as the striped reader: no request for no bytes
        }
        if (!h->whole) {
            h->whole = co_await h->open_rest(h->delivered);
        }
        const auto n = co_await h->whole->read(out);
        h->delivered += n;
        count_end(h->fetch, n, out.size(), h->delivered, h->size);
        co_return n;
    }
    const auto st = h->st;
    if (st->next == st->chunks || out.empty()) {
        co_return 0;
    }
    if (!st->started) {
        st->started = true;
        for (std::uint64_t i = 0; i < st->parts; ++i) {
            const auto& s0 = *st->slots[0];
            if (i != 0 || !(s0.index == 0 && s0.ready)) {  // the first may be in already
                start_fetch(st, i);
            }
        }
    }
    auto& s = *st->slots[st->next % st->parts];
    while (!(s.index == st->next && (s.ready || s.failed))) {
        co_await wait_on(st->reader_wake);
        const auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) {
            throw oras::detail::cancelled_error();
        }
    }
    if (s.failed) {
        if (!answered_elsewhere(s.failed)) {
            std::rethrow_exception(s.failed);
        }
        // A registry (or a proxy before it) that serves some ranges and not others: the rest
        // as one stream from the first byte not handed out (`pos` is 0 between chunks), asked
        // for without a Range (its first bytes skipped), and no ranges for the next blobs. The
        // digest, computed in order, still checks every byte.
        const auto from = st->next * st->chunk;
        st->repo->ranges_ignored_ = true;
        st->stop();
        h->st.reset();
        h->delivered = from;
        h->whole = co_await h->open_rest(from);
        co_return co_await read_striped(h, out);
    }
    const auto n = std::min(out.size(), s.filled - st->pos);
    std::memcpy(out.data(), s.buf.get() + st->pos, n);
    st->pos += n;
    if (st->pos == s.filled) {
        s.ready = false;
        st->pos = 0;
        ++st->next;
        start_fetch(st, st->next - 1 + st->parts);  // into the slot just freed
        if (st->next == st->chunks) {
            // Every chunk handed out, none in flight: the buffers and the count go now rather
            // than with the reader, which may be kept while the bytes are checked or stored.
            for (auto& slot : st->slots) {
                slot->buf.reset();
            }
            h->fetch.reset();
        }
    }
    co_return n;
}

/// A first chunk already read, then the rest of the blob as one stream: the response it came
/// in, read on, and after a drop a fresh one from the first byte not handed out. The first chunk
/// is dropped once handed out; a rewind after that asks for the whole blob again.
struct continued {
    std::unique_ptr<std::byte[]> first{};
    std::size_t length = 0;
    std::uint64_t delivered = 0;  // bytes handed out, the first chunk's included
    std::optional<http::response> resp{};
    rest_opener open_rest{};
    std::optional<byte_source> rest{};
    std::shared_ptr<large_fetch> fetch{};
    std::uint64_t size = 0;  // of the blob
};

asio::awaitable<std::size_t> read_continued(std::shared_ptr<continued> h,
                                            std::span<std::byte> out) {
    if (h->delivered < h->length) {
        const auto n = std::min<std::size_t>(out.size(), h->length - h->delivered);
        std::memcpy(out.data(), h->first.get() + h->delivered, n);
        h->delivered += n;
        if (h->delivered == h->length) {
            h->first.reset();  // a chunk per large blob in flight, held for nothing
        }
        count_end(h->fetch, n, out.size(), h->delivered, h->size);
        co_return n;
    }
    if (h->resp) {
        std::exception_ptr broken;
        try {
            const auto n = co_await h->resp->read_some(out);
            h->delivered += n;
            count_end(h->fetch, n, out.size(), h->delivered, h->size);
            co_return n;
        } catch (...) {
            broken = std::current_exception();
        }
        h->resp.reset();
        if (!is_transient(broken)) {
            std::rethrow_exception(broken);
        }
    }
    if (!h->rest) {
        h->rest = co_await h->open_rest(h->delivered);
    }
    const auto n = co_await h->rest->read(out);
    h->delivered += n;
    count_end(h->fetch, n, out.size(), h->delivered, h->size);
    co_return n;
}

}  // namespace

std::size_t large_blobs() noexcept {
    return large_count.load(std::memory_order_relaxed);
}

asio::awaitable<striped_open> open_striped(std::shared_ptr<repository_state> repo, descriptor desc,
                                           std::size_t parts, std::size_t chunk,
                                           std::uint64_t fast_rate, std::size_t max_blobs,
                                           rest_opener open_rest) {
    const auto size = static_cast<std::uint64_t>(desc.size);
    auto fetch = std::make_shared<large_fetch>();
    if (desc.size <= 0 || parts < 2 || chunk == 0 || !large_fetch::few(max_blobs)) {
        auto whole = co_await open_rest(0);
        co_return striped_open{counted_as_large(std::move(whole), std::move(fetch), size), false};
    }
    const auto ex = co_await asio::this_coro::executor;
    auto st = std::make_shared<striped>(repo, desc, parts, chunk, ex);
    // The whole blob, open-ended: a missing blob fails here, a registry without range support
    // answers 200, and the rate the first chunk's bytes come at tells a link one stream fills
    // (then this response is simply read on) from one where several streams help (then it is
    // dropped after the first chunk, and the others come as ranges).
    std::optional<http::response> asked;
    try {
        asked.emplace(co_await get_range(*repo, desc.digest, 0, size, true, st->what));
    } catch (const error& e) {
        if (e.code() != errc::invalid_response) {
            throw;
        }
    }
    if (!asked) {
        // A 206 that is not the whole blob asked for (a proxy capping ranges): ranges from
        // there cannot be trusted, so this blob and the next come as plain GETs.
        auto whole = co_await open_rest(0);
        co_return striped_open{counted_as_large(std::move(whole), std::move(fetch), size), true};
    }
    auto& first = *asked;
    const bool ranges = first.status() == 206;
    const auto started = std::chrono::steady_clock::now();
    auto& s0 = *st->slots[0];
    s0.buf.reset(new std::byte[chunk]);
    const auto length = static_cast<std::size_t>(st->length_of(0));
    std::exception_ptr broken;
    try {
        s0.filled = co_await read_full(first, std::span(s0.buf.get(), length));
        if (s0.filled < length) {
            throw error(errc::size_mismatch, st->what + ": the blob ended after "
                                                 + std::to_string(s0.filled) + " bytes of "
                                                 + std::to_string(size));
        }
    } catch (...) {
        broken = std::current_exception();
    }
    if (broken) {
        if (!is_transient(broken)) {
            std::rethrow_exception(broken);
        }
        // Dropped in the first chunk: one stream, which resumes where a drop cut it.
        auto whole = co_await open_rest(0);
        co_return striped_open{counted_as_large(std::move(whole), std::move(fetch), size), !ranges};
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    const bool fast =
        fast_rate != 0
        && static_cast<double>(length) >= static_cast<double>(fast_rate) * took.count();
    // Other large blobs that came meanwhile are streams of their own already, on the same link.
    if (!ranges || fast || length == size || !large_fetch::few(max_blobs)) {
        auto h = std::make_shared<continued>();
        h->fetch = std::move(fetch);
        h->size = size;
        h->first = std::move(s0.buf);
        h->length = length;
        h->resp.emplace(std::move(first));
        h->open_rest = std::move(open_rest);
        auto r = byte_source::from_generator(
            [h](std::span<std::byte> out) { return read_continued(h, out); }, size,
            [h] {
                // The first chunk, while kept, is handed out again; the rest (or all, once it
                // was dropped) comes again from a fresh request.
                if (!h->first) {
                    h->length = 0;
                }
                h->delivered = 0;
                h->resp.reset();
                h->rest.reset();
                count_again(h->fetch);
            });
        co_return striped_open{std::move(r), !ranges};
    }
    first.abandon();
    s0.index = 0;
    s0.ready = true;
    auto h = std::make_shared<handle>();
    h->st = st;
    h->fetch = std::move(fetch);
    h->open_rest = std::move(open_rest);
    h->size = size;
    auto r = byte_source::from_generator(
        [h](std::span<std::byte> out) { return read_striped(h, out); }, size,
        [h, repo, desc, parts, chunk, ex, max_blobs] {
            if (h->st && !h->st->started) {
                return;  // nothing read yet: still as opened, its first chunk in hand
            }
            if (h->st) {
                h->st->stop();
                h->st.reset();
            }
            h->whole.reset();
            h->delivered = 0;
            count_again(h->fetch);
            if (large_fetch::few(max_blobs) && !repo->ranges_ignored_) {
                h->st = std::make_shared<striped>(repo, desc, parts, chunk, ex);
            }
        });
    co_return striped_open{std::move(r), false};
}

}  // namespace oras::registry::detail
