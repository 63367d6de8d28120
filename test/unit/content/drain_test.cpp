#include "content/drain.hpp"
#include "content/file_paths.hpp"

#include <oras/byte_source.hpp>

#include <oras/test/direct_io.hpp>
#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <memory>
#include <span>
#include <vector>

namespace {

using oras::test::byte_at;

namespace asio = boost::asio;
using oras::byte_source;
using oras::content::detail::drain_to;

constexpr std::uint64_t mib = std::uint64_t{1} << 20;

// `total` bytes of the pattern, handed out in reads of ever-changing sizes (at most what is
// asked for).
byte_source pattern_source(std::uint64_t total) {
    auto at = std::make_shared<std::uint64_t>(0);
    auto k = std::make_shared<std::size_t>(0);
    byte_source::read_fn next = [at, k,
                                 total](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        static constexpr std::size_t sizes[] = {1, 4095, 65536, (1 << 20) + 3, 3 << 20, 17};
        const auto n = static_cast<std::size_t>(
            std::min<std::uint64_t>({buf.size(), sizes[(*k)++ % std::size(sizes)], total - *at}));
        for (std::size_t i = 0; i < n; ++i) {
            buf[i] = byte_at(*at + i);
        }
        *at += n;
        co_return n;
    };
    return byte_source::from_generator(std::move(next), total);
}

// A sink that offers memory of its own now and then, of odd sizes, and records what it got.
struct recording_sink {
    std::vector<std::byte> got;
    std::vector<std::byte> own = std::vector<std::byte>(5000);
    std::size_t turns = 0;
    std::size_t put_calls = 0;
    std::size_t write_calls = 0;

    std::span<std::byte> room() {
        ++turns;
        return turns % 3 == 0 ? std::span<std::byte>(own).first(1 + turns % 4000)
                              : std::span<std::byte>{};
    }
    void put(std::size_t n) {
        ++put_calls;
        got.insert(got.end(), own.begin(), own.begin() + static_cast<std::ptrdiff_t>(n));
    }
    void write(std::span<const std::byte> chunk) {
        ++write_calls;
        got.insert(got.end(), chunk.begin(), chunk.end());
    }
};

TEST(drain_to, every_byte_reaches_the_sink_once_in_order_checked_first) {
    asio::io_context io;
    const std::uint64_t total = 3 * mib + 11;
    auto src = pattern_source(total);
    recording_sink sink;
    std::uint64_t checked = 0;
    bool in_order = true;
    const auto check = [&](std::span<const std::byte> chunk) {
        // Seen before the sink takes it: the sink holds exactly the bytes checked before.
        in_order = in_order && sink.got.size() == checked;
        for (std::size_t i = 0; i < chunk.size(); ++i) {
            in_order = in_order && chunk[i] == byte_at(checked + i);
        }
        checked += chunk.size();
    };
    oras::test::run(io, drain_to(src, 64 * 1024, sink, check));
    EXPECT_TRUE(in_order);
    EXPECT_EQ(checked, total);
    ASSERT_EQ(sink.got.size(), total);
    for (std::uint64_t i = 0; i < total; ++i) {
        ASSERT_EQ(sink.got[i], byte_at(i)) << "at byte " << i;
    }
    EXPECT_GT(sink.put_calls, 0u);
    EXPECT_GT(sink.write_calls, 0u);
}

// A temp_file as drain_to's sink, counting the bytes it took in its own memory.
struct counting_file {
    oras::content::detail::temp_file& file;
    std::uint64_t put_bytes = 0;

    std::span<std::byte> room() noexcept { return file.room(); }
    void put(std::size_t n) {
        file.put(n);
        put_bytes += n;
    }
    void write(std::span<const std::byte> chunk) { file.write(chunk); }
};

TEST(drain_to, a_large_file_is_read_into_its_own_blocks_and_lands_whole) {
    asio::io_context io;
    const oras::test::direct_dir dir;
    const auto dest = dir / "big.bin";
    const std::uint64_t total = 40 * mib + 12345;  // past the direct writes' start
    auto src = pattern_source(total);
    oras::content::detail::temp_file tmp(dest);
    counting_file sink{tmp};
    std::uint64_t checked = 0;
    const auto check = [&](std::span<const std::byte> chunk) { checked += chunk.size(); };
    oras::test::run(io, drain_to(src, mib, sink, check));
    EXPECT_EQ(checked, total);
    if (dir.direct()) {
        // Everything past the first 32 MiB went into the file's own blocks, not copied, but for
        // the rest of the read (at most a chunk) that crossed into them.
        EXPECT_LE(sink.put_bytes, total - 32 * mib);
        EXPECT_GE(sink.put_bytes, total - 33 * mib);
    }
    tmp.commit(false);
    std::ifstream in(dest, std::ios::binary);
    std::vector<char> buf(mib);
    std::uint64_t at = 0;
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
        const auto n = static_cast<std::uint64_t>(in.gcount());
        for (std::uint64_t i = 0; i < n; ++i) {
            ASSERT_EQ(static_cast<std::byte>(buf[i]), byte_at(at + i)) << "at byte " << at + i;
        }
        at += n;
    }
    EXPECT_EQ(at, total);
}

}  // namespace
