#include <oras/byte_source.hpp>
#include <oras/error.hpp>

#include "core/file_reader.hpp"
#include "core/posix_file.hpp"
#include "core/quote.hpp"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

namespace oras {

namespace asio = boost::asio;

byte_source byte_source::from_string(std::string data) {
    return from_shared(std::make_shared<const std::string>(std::move(data)));
}

byte_source byte_source::from_shared(std::shared_ptr<const std::string> data) {
    if (!data) {
        return {};
    }
    auto pos = std::make_shared<std::size_t>(0);
    auto src = from_generator(
        [data, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            const auto n = std::min(buf.size(), data->size() - *pos);
            std::memcpy(buf.data(), data->data() + *pos, n);
            *pos += n;
            co_return n;
        },
        data->size(), [pos] { *pos = 0; });
    src.memory_ = std::move(data);
    return src;
}

byte_source byte_source::from_file(std::filesystem::path path, std::uint64_t offset,
                                   std::uint64_t length) {
    auto src = detail::file_reader(-1, path, offset, length);
    src.file_ = file_range{std::move(path), offset, length};
    return src;
}

byte_source byte_source::from_file(std::filesystem::path path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
        throw error(ec, "cannot read the size of " + detail::quote(path.string()));
    }
    return from_file(std::move(path), 0, size);
}

byte_source byte_source::from_generator(read_fn next, std::optional<std::uint64_t> length,
                                        std::function<void()> rewind) {
    byte_source src;
    src.read_ = std::move(next);
    src.length_ = length;
    src.rewind_ = std::move(rewind);
    return src;
}

byte_source byte_source::counting(byte_source inner, std::function<void(std::uint64_t)> on_bytes,
                                  std::function<void()> on_rewind) {
    auto count = std::make_shared<std::function<void(std::uint64_t)>>(std::move(on_bytes));
    auto next = [inner, count](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = co_await inner.read(buf);
        if (n != 0 && *count) {
            (*count)(n);
        }
        co_return n;
    };
    std::function<void()> rewind;
    if (inner.replayable()) {
        rewind = [inner, on_rewind = std::move(on_rewind)] {
            inner.rewind();
            if (on_rewind) {
                on_rewind();
            }
        };
    }
    auto out = from_generator(std::move(next), inner.length(), std::move(rewind));
    out.memory_ = inner.memory_;
    out.file_ = inner.file_;
    out.checked_ = inner.checked_;
    out.consumed_ = [inner, count](std::uint64_t n) {
        inner.consumed(n);
        if (*count) {
            (*count)(n);
        }
    };
    return out;
}

void byte_source::consumed(std::uint64_t n) const {
    if (consumed_ && n != 0) {
        consumed_(n);
    }
}

namespace {

asio::awaitable<std::size_t> nothing() {
    co_return 0;
}

}  // namespace

asio::awaitable<std::size_t> byte_source::read(std::span<std::byte> buf) const {
    if (!read_) {
        return nothing();
    }
    return read_(buf);
}

void byte_source::rewind() const {
    if (!read_) {
        return;
    }
    if (!rewind_) {
        throw error(errc::invalid_argument, "these bytes can be read only once");
    }
    rewind_();
}

namespace detail {

byte_source file_reader(int fd, std::filesystem::path path, std::uint64_t offset,
                        std::uint64_t length) {
    struct state {
        std::filesystem::path path;
        unique_fd fd;
        std::uint64_t begin = 0;
        std::uint64_t length = 0;
        std::uint64_t done = 0;
    };
    auto st = std::make_shared<state>(state{std::move(path), unique_fd(fd), offset, length, 0});
    auto next = [st](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        if (!st->fd) {
            st->fd.reset(::open(st->path.c_str(), O_RDONLY | O_CLOEXEC));
            if (!st->fd) {
                throw error(std::error_code(errno, std::generic_category()),
                            "cannot open " + quote(st->path.string()));
            }
        }
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), st->length - st->done));
        std::size_t n = 0;
        while (n < want) {
            const auto got =
                pread_some(st->fd.get(), buf.subspan(n, want - n), st->begin + st->done + n);
            if (got <= 0) {
                const auto done = std::to_string(st->done + n);
                throw error(got == 0 ? make_error_code(errc::size_mismatch)
                                     : std::error_code(errno, std::generic_category()),
                            quote(st->path.string()) + " ended or could not be read after " + done
                                + " of " + std::to_string(st->length) + " bytes");
            }
            n += static_cast<std::size_t>(got);
        }
        st->done += n;
        co_return n;
    };
    return byte_source::from_generator(std::move(next), length, [st] { st->done = 0; });
}

}  // namespace detail

}  // namespace oras
