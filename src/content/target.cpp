#include <oras/content/target.hpp>
#include <oras/error.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"
#include "content/file_paths.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace oras::content {

namespace asio = boost::asio;

blob_reader blob_reader::from_string(std::string data) {
    return from_shared(std::make_shared<const std::string>(std::move(data)));
}

blob_reader blob_reader::from_shared(std::shared_ptr<const std::string> data) {
    auto pos = std::make_shared<std::size_t>(0);
    blob_reader r;
    r.length = data->size();
    r.read = [data, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = std::min(buf.size(), data->size() - *pos);
        std::memcpy(buf.data(), data->data() + *pos, n);
        *pos += n;
        co_return n;
    };
    r.rewind = [pos] { *pos = 0; };
    return r;
}

namespace detail {

blob_reader read_file(int fd, std::filesystem::path path, std::uint64_t offset,
                      std::uint64_t length) {
    struct state {
        std::filesystem::path path;
        int fd = -1;
        std::uint64_t begin = 0;
        std::uint64_t length = 0;
        std::uint64_t done = 0;
        ~state() {
            if (fd >= 0) {
                ::close(fd);
            }
        }
    };
    auto st = std::make_shared<state>();
    st->path = std::move(path);
    st->fd = fd;
    st->begin = offset;
    st->length = length;
    blob_reader r;
    r.length = length;
    r.offset = offset;
    r.read = [st](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        if (st->fd < 0) {
            st->fd = ::open(st->path.c_str(), O_RDONLY | O_CLOEXEC);
            if (st->fd < 0) {
                throw error(errc::invalid_argument,
                            "cannot open " + st->path.string() + ": " + std::strerror(errno));
            }
        }
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st->length - st->done));
        std::size_t n = 0;
        while (n < want) {
            const auto got = ::pread(st->fd, buf.data() + n, want - n,
                                     static_cast<off_t>(st->begin + st->done + n));
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0) {
                throw error(errc::size_mismatch,
                            st->path.string() + " shrank or could not be read while in use");
            }
            n += static_cast<std::size_t>(got);
        }
        st->done += n;
        co_return n;
    };
    r.rewind = [st] { st->done = 0; };
    return r;
}

}  // namespace detail

blob_reader blob_reader::from_file(std::filesystem::path path, std::uint64_t offset,
                                   std::uint64_t length) {
    auto r = detail::read_file(-1, path, offset, length);
    r.file = std::move(path);
    return r;
}

blob_reader verified(blob_reader src, const descriptor& desc, std::string origin) {
    struct state {
        verifier check;
        digest expected;
        std::int64_t size = 0;
        bool finished = false;
        std::string origin;

        [[noreturn]] void fail(const failure& f) const {
            throw error(f.code, origin.empty() ? f.message : origin + ": " + f.message);
        }
    };
    auto st = std::make_shared<state>(
        state{verifier(desc.digest, desc.size), desc.digest, desc.size, false, std::move(origin)});
    blob_reader out;
    out.length = static_cast<std::uint64_t>(std::max<std::int64_t>(desc.size, 0));
    if (src.length && *src.length != *out.length) {
        throw error(errc::size_mismatch,
                    desc.digest.str() + ": the source has " + std::to_string(*src.length)
                        + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    out.digest_checked = true;
    out.verified = true;
    out.read =
        [st, read = std::move(src.read)](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        if (st->finished) {
            co_return 0;
        }
        const auto n = co_await read(buf);
        if (n > buf.size()) {
            throw error(errc::invalid_argument, "blob reader returned more bytes than asked for");
        }
        if (auto ok = st->check.update(buf.first(n)); !ok) {
            st->fail(ok.error());
        }
        // The end is known by count: the last bytes are handed out only once the digest holds.
        if (n == 0 || st->check.received() == st->size) {
            st->finished = true;
            if (auto ok = st->check.finish(); !ok) {
                st->fail(ok.error());
            }
        }
        co_return n;
    };
    if (src.rewind) {
        out.rewind = [st, inner = std::move(src.rewind)] {
            inner();
            st->check = verifier(st->expected, st->size);
            st->finished = false;
        };
    }
    return out;
}

asio::awaitable<void> target::fetch(descriptor desc, write_fn sink) {
    std::unique_ptr<std::byte[]> storage;
    const auto buf = detail::blob_buffer(
        storage, static_cast<std::uint64_t>(std::max<std::int64_t>(desc.size, 0)), 1 << 20);
    auto opened = co_await open(desc);
    // Content a store hashed itself earlier (a file store's files) is checked here as it goes.
    auto src = opened.verified ? std::move(opened) : verified(std::move(opened), desc);
    for (;;) {
        const std::size_t n = co_await src.read(buf);
        if (n == 0) {
            co_return;
        }
        co_await sink(std::span<const std::byte>(buf.data(), n));
    }
}

asio::awaitable<void> target::push_tagged(descriptor desc, blob_reader src,
                                          std::vector<std::string> references) {
    co_await push(desc, std::move(src));
    for (auto& r : references) {
        co_await tag(desc, std::move(r));
    }
}

asio::awaitable<std::string> fetch_all(target& t, descriptor desc, std::size_t limit) {
    if (desc.size < 0 || static_cast<std::uint64_t>(desc.size) > limit) {
        throw error(errc::size_exceeds_limit,
                    desc.digest.str() + " has " + std::to_string(desc.size)
                        + " bytes, more than the limit of " + std::to_string(limit));
    }
    auto out = std::make_shared<std::string>();
    out->reserve(static_cast<std::size_t>(desc.size));
    write_fn sink = [out, limit](std::span<const std::byte> b) -> asio::awaitable<void> {
        if (out->size() + b.size() > limit) {
            throw error(errc::size_exceeds_limit,
                        "content beyond " + std::to_string(limit) + " bytes");
        }
        out->append(reinterpret_cast<const char*>(b.data()), b.size());
        co_return;
    };
    co_await t.fetch(std::move(desc), std::move(sink));
    co_return std::move(*out);
}

}  // namespace oras::content
