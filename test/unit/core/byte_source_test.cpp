// byte_source: one way to read every shape of bytes, and what each shape says about itself.
#include <oras/byte_source.hpp>
#include <oras/error.hpp>

#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using oras::byte_source;
using oras::test::run;

/// Reads `src` to its end in slices of `slice` bytes.
std::string read_all(asio::io_context& io, const byte_source& src, std::size_t slice) {
    std::string out;
    std::vector<std::byte> buf(slice);
    for (;;) {
        const auto n = run(io, src.read(std::span(buf)));
        EXPECT_LE(n, buf.size());
        if (n == 0) {
            return out;
        }
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
}

TEST(byte_source, none_is_empty_and_replayable) {
    asio::io_context io;
    const byte_source none;
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(none.length(), std::uint64_t{0});
    EXPECT_TRUE(none.replayable());
    EXPECT_EQ(read_all(io, none, 16), "");
    none.rewind();
    EXPECT_EQ(none.memory(), nullptr);
    EXPECT_FALSE(none.file());
    EXPECT_EQ(none.checked(), byte_source::check::none);
}

TEST(byte_source, memory_reads_in_any_slice_rewinds_and_says_what_it_is) {
    asio::io_context io;
    const auto data = oras::test::pattern(10'000, 1);
    const auto src = byte_source::from_string(data);
    EXPECT_EQ(src.length(), data.size());
    ASSERT_NE(src.memory(), nullptr);
    EXPECT_EQ(*src.memory(), data);
    EXPECT_FALSE(src.file());
    for (const std::size_t slice : {1u, 7u, 4096u, 20'000u}) {
        src.rewind();
        EXPECT_EQ(read_all(io, src, slice), data) << slice;
    }
    // Shared, not copied.
    auto shared = std::make_shared<const std::string>("shared");
    EXPECT_EQ(byte_source::from_shared(shared).memory(), shared);
    EXPECT_TRUE(byte_source::from_shared(nullptr).empty());
}

TEST(byte_source, copies_share_one_position) {
    asio::io_context io;
    const auto a = byte_source::from_string("0123456789");
    const auto b = a;  // NOLINT(performance-unnecessary-copy-initialization): the point
    std::vector<std::byte> buf(4);
    EXPECT_EQ(run(io, a.read(std::span(buf))), 4u);
    EXPECT_EQ(read_all(io, b, 3), "456789");
}

TEST(byte_source, a_file_range_is_read_in_slices_and_says_where_it_is) {
    oras::test::temp_dir dir;
    asio::io_context io;
    const auto data = oras::test::pattern(100'000, 2);
    oras::test::write_file(dir / "f", data);
    const auto src = byte_source::from_file(dir / "f", 1000, 50'000);
    EXPECT_EQ(src.length(), 50'000u);
    ASSERT_TRUE(src.file());
    EXPECT_EQ(src.file()->path, dir / "f");
    EXPECT_EQ(src.file()->offset, 1000u);
    EXPECT_EQ(src.file()->length, 50'000u);
    EXPECT_EQ(src.memory(), nullptr);
    EXPECT_EQ(read_all(io, src, 4096), data.substr(1000, 50'000));
    src.rewind();
    EXPECT_EQ(read_all(io, src, 333), data.substr(1000, 50'000));
    EXPECT_EQ(read_all(io, byte_source::from_file(dir / "f"), 1 << 16), data);
}

TEST(byte_source, a_file_that_is_missing_or_shrinks_fails_the_read) {
    oras::test::temp_dir dir;
    asio::io_context io;
    // Missing: the read fails with the errno, naming the file.
    const auto missing = byte_source::from_file(dir / "missing", 0, 10);
    try {
        read_all(io, missing, 16);
        ADD_FAILURE() << "no error";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), std::error_code(ENOENT, std::generic_category()));
        EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
    }
    EXPECT_THROW(byte_source::from_file(dir / "missing"), oras::error);
    // Shorter than announced: a size mismatch, not a short body.
    oras::test::write_file(dir / "short", "12345");
    const auto shrunk = byte_source::from_file(dir / "short", 0, 10);
    EXPECT_EQ(oras::test::error_of([&] { read_all(io, shrunk, 16); }), oras::errc::size_mismatch);
}

TEST(byte_source, counting_sees_every_byte_and_keeps_the_fast_paths) {
    oras::test::temp_dir dir;
    asio::io_context io;
    const auto data = oras::test::pattern(10'000, 3);
    oras::test::write_file(dir / "f", data);
    std::uint64_t inner_seen = 0;
    std::uint64_t outer_seen = 0;
    int rewinds = 0;
    auto file = byte_source::from_file(dir / "f", 100, 5'000);
    file.set_checked(byte_source::check::hashed);
    const auto inner = byte_source::counting(file, [&](std::uint64_t n) { inner_seen += n; });
    const auto outer = byte_source::counting(
        inner, [&](std::uint64_t n) { outer_seen += n; }, [&] { ++rewinds; });
    // The file, its length and what is known of it, kept: a consumer may send the file itself.
    ASSERT_TRUE(outer.file());
    EXPECT_EQ(outer.file()->offset, 100u);
    EXPECT_EQ(outer.length(), 5'000u);
    EXPECT_EQ(outer.checked(), byte_source::check::hashed);
    // Read: every counter sees the bytes once.
    EXPECT_EQ(read_all(io, outer, 777), data.substr(100, 5'000));
    EXPECT_EQ(inner_seen, 5'000u);
    EXPECT_EQ(outer_seen, 5'000u);
    // Taken past `read` (sendfile): reported with `consumed`, to every counter.
    outer.rewind();
    EXPECT_EQ(rewinds, 1);
    outer.consumed(3'000);
    outer.consumed(2'000);
    EXPECT_EQ(inner_seen, 10'000u);
    EXPECT_EQ(outer_seen, 10'000u);
    // Memory too; and a source without counters ignores `consumed`.
    const auto mem = byte_source::counting(byte_source::from_string("abc"),
                                           [&](std::uint64_t n) { outer_seen += n; });
    ASSERT_TRUE(mem.memory());
    EXPECT_EQ(*mem.memory(), "abc");
    mem.consumed(3);
    EXPECT_EQ(outer_seen, 10'003u);
    byte_source::from_string("abc").consumed(3);
    // A source read once stays so.
    const auto once = byte_source::counting(
        byte_source::from_generator(
            [](std::span<std::byte>) -> asio::awaitable<std::size_t> { co_return 0; }),
        [](std::uint64_t) {});
    EXPECT_FALSE(once.replayable());
}

TEST(byte_source, a_generator_without_rewind_is_read_once) {
    asio::io_context io;
    auto left = std::make_shared<int>(3);
    const auto src = byte_source::from_generator(
        [left](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            if (*left == 0) {
                co_return 0;
            }
            --*left;
            buf[0] = std::byte{'x'};
            co_return 1;
        });
    EXPECT_FALSE(src.length());
    EXPECT_FALSE(src.empty());
    EXPECT_FALSE(src.replayable());
    EXPECT_EQ(read_all(io, src, 8), "xxx");
    EXPECT_EQ(oras::test::error_of([&] { src.rewind(); }), oras::errc::invalid_argument);
}

TEST(byte_source, checked_records_what_is_known) {
    auto src = byte_source::from_string("x");
    EXPECT_FALSE(src.digest_checked());
    EXPECT_FALSE(src.verified());
    src.set_checked(byte_source::check::hashed);
    EXPECT_TRUE(src.digest_checked());
    EXPECT_FALSE(src.verified());
    src.set_checked(byte_source::check::verified);
    EXPECT_TRUE(src.digest_checked());
    EXPECT_TRUE(src.verified());
}

}  // namespace
