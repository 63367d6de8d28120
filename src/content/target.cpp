#include <oras/content/target.hpp>
#include <oras/error.hpp>
#include <oras/reference.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"

#include <algorithm>
#include <functional>

namespace oras::content {

namespace asio = boost::asio;

byte_source verified(byte_source src, const descriptor& desc, std::string origin) {
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
    const auto length = static_cast<std::uint64_t>(std::max<std::int64_t>(desc.size, 0));
    if (src.length() && *src.length() != length) {
        throw error(errc::size_mismatch,
                    desc.digest.str() + ": the source has " + std::to_string(*src.length())
                        + " bytes, the descriptor says " + std::to_string(desc.size));
    }
    if (src.verified()) {
        return src;  // it checks its own bytes: hashing them again would double the cost
    }
    auto st = std::make_shared<state>(
        state{verifier(desc.digest, desc.size), desc.digest, desc.size, false, std::move(origin)});
    auto next = [st, src](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        if (st->finished) {
            co_return 0;
        }
        const auto n = co_await src.read(buf);
        if (n > buf.size()) {
            throw error(errc::invalid_argument, "a byte source returned more bytes than asked for");
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
    std::function<void()> rewind;
    if (src.replayable()) {
        rewind = [st, src] {
            src.rewind();
            st->check = verifier(st->expected, st->size);
            st->finished = false;
        };
    }
    auto out = byte_source::from_generator(std::move(next), length, std::move(rewind));
    out.set_checked(byte_source::check::verified);
    return out;
}

asio::awaitable<void> target::fetch(descriptor desc, byte_sink sink) {
    std::unique_ptr<std::byte[]> storage;
    const auto buf = detail::blob_buffer(
        storage, static_cast<std::uint64_t>(std::max<std::int64_t>(desc.size, 0)), 1 << 20);
    auto opened = co_await open(desc);
    // Content a store hashed itself earlier (a file store's files) is checked here as it goes.
    auto src = verified(std::move(opened), desc);
    for (;;) {
        const std::size_t n = co_await src.read(buf);
        if (n == 0) {
            co_return;
        }
        co_await sink(std::span<const std::byte>(buf.data(), n));
    }
}

asio::awaitable<bool> target::push_unless_present(descriptor desc, opener open) {
    if (co_await exists(desc)) {
        co_return true;
    }
    auto src = co_await open();
    co_await push(std::move(desc), std::move(src));
    co_return false;
}

result<void> target::check_tag(std::string_view tag) const {
    return validate_tag(tag);
}

asio::awaitable<void> target::push_tagged(descriptor desc, byte_source src,
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
    byte_sink sink = [out, limit](std::span<const std::byte> b) -> asio::awaitable<void> {
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
