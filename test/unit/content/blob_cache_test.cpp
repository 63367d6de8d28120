// content::blob_cache on its own (no network): hits and misses, entries written only when a
// reader completes with the right bytes, damaged entries dropped, eviction; and the
// ORAS_CACHE_MAX_SIZE syntax.
#include <oras/content/blob_cache.hpp>
#include <oras/digest.hpp>

#include "cli/options/cache.hpp"

#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::byte_source;
using oras::descriptor;
using oras::content::blob_cache;
using oras::test::read_file;
using oras::test::temp_dir;
using oras::test::write_file;

descriptor describe(const std::string& content) {
    descriptor d;
    d.media_type = "application/octet-stream";
    d.digest = oras::digest::of(content);
    d.size = static_cast<std::int64_t>(content.size());
    return d;
}

// Reads `r` to its end, `chunk` bytes at a time.
asio::awaitable<std::string> drain(byte_source r, std::size_t chunk = 3) {
    std::string out;
    std::vector<std::byte> buf(chunk);
    while (const auto n = co_await r.read(buf)) {
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    co_return out;
}

// The entries and temporary files under `dir`.
std::vector<std::string> files_under(const fs::path& dir) {
    std::vector<std::string> out;
    if (fs::exists(dir)) {
        for (const auto& e : fs::recursive_directory_iterator(dir)) {
            if (e.is_regular_file()) {
                out.push_back(fs::relative(e.path(), dir).generic_string());
            }
        }
    }
    return out;
}

TEST(blob_cache, a_blob_read_through_tee_is_served_next_time) {
    temp_dir dir;
    asio::io_context io;
    blob_cache cache(dir / "cache");
    const std::string content = "cached bytes";
    const auto d = describe(content);
    EXPECT_FALSE(cache.open(d));
    EXPECT_EQ(oras::test::run(io, drain(cache.tee(d, byte_source::from_string(content)))), content);
    EXPECT_EQ(files_under(dir / "cache"),
              std::vector<std::string>{"blobs/sha256/" + std::string(d.digest.encoded())});
    auto hit = cache.open(d);
    ASSERT_TRUE(hit);
    EXPECT_TRUE(hit->verified());
    EXPECT_EQ(oras::test::run(io, drain(std::move(*hit))), content);
    const auto s = cache.stats();
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 1u);
    EXPECT_EQ(s.stored, 1u);
    // Read through again: the entry is there, so nothing is written (it is verified whenever
    // it is read).
    EXPECT_EQ(oras::test::run(io, drain(cache.tee(d, byte_source::from_string(content)))), content);
    EXPECT_EQ(cache.stats().stored, 1u);
    EXPECT_EQ(files_under(dir / "cache"),
              std::vector<std::string>{"blobs/sha256/" + std::string(d.digest.encoded())});

    // The empty blob is a blob like any other.
    const auto empty = describe("");
    EXPECT_EQ(oras::test::run(io, drain(cache.tee(empty, byte_source::from_string("")))), "");
    EXPECT_TRUE(cache.open(empty));
}

TEST(blob_cache, nothing_is_stored_from_a_reader_abandoned_wrong_or_rewound) {
    temp_dir dir;
    asio::io_context io;
    blob_cache cache(dir.path());
    const std::string content = "the right content";
    const auto d = describe(content);
    {
        // Read in part, then dropped.
        auto r = cache.tee(d, byte_source::from_string(content));
        std::vector<std::byte> buf(4);
        EXPECT_EQ(oras::test::run(io, r.read(buf)), 4u);
    }
    EXPECT_TRUE(files_under(dir.path()).empty());
    // Other bytes than the descriptor's (a source that does not verify itself).
    EXPECT_EQ(
        oras::test::run(io, drain(cache.tee(d, byte_source::from_string("the wrong content")))),
        "the wrong content");
    EXPECT_TRUE(files_under(dir.path()).empty());
    EXPECT_FALSE(cache.open(d));
    // Rewound half way (a retried upload), then read whole: stored once, complete.
    auto r = cache.tee(d, byte_source::from_string(content));
    std::vector<std::byte> buf(5);
    oras::test::run(io, r.read(buf));
    ASSERT_TRUE(r.replayable());
    r.rewind();
    EXPECT_EQ(oras::test::run(io, drain(std::move(r))), content);
    auto hit = cache.open(d);
    ASSERT_TRUE(hit);
    EXPECT_EQ(oras::test::run(io, drain(std::move(*hit))), content);
    EXPECT_EQ(cache.stats().stored, 1u);
}

TEST(blob_cache, reading_past_the_end_again_keeps_the_entry_whole) {
    temp_dir dir;
    asio::io_context io;
    blob_cache cache(dir.path());
    const std::string content = "read to its end, then asked again";
    const auto d = describe(content);
    auto src = byte_source::from_string(content);
    src.set_checked(byte_source::check::verified);  // as a registry's reader: trusted to check
    auto r = cache.tee(d, std::move(src));
    EXPECT_EQ(oras::test::run(io, drain(r)), content);
    std::vector<std::byte> buf(8);
    EXPECT_EQ(oras::test::run(io, r.read(buf)), 0u);
    EXPECT_EQ(oras::test::run(io, r.read(buf)), 0u);
    EXPECT_EQ(cache.stats().stored, 1u);
    EXPECT_EQ(read_file(dir / "blobs/sha256" / std::string(d.digest.encoded())), content);
}

TEST(blob_cache, a_damaged_entry_fails_before_its_last_bytes_and_is_dropped) {
    temp_dir dir;
    asio::io_context io;
    blob_cache cache(dir.path());
    const std::string content = oras::test::pattern(10'000, 5);
    const auto d = describe(content);
    oras::test::run(io, drain(cache.tee(d, byte_source::from_string(content))));
    const auto entry = dir / "blobs/sha256" / std::string(d.digest.encoded());
    auto damaged = content;
    damaged[9'999] ^= 1;
    write_file(entry, damaged);  // same size, other bytes: found while read
    auto r = cache.open(d);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->verified());
    std::vector<std::byte> buf(4096);
    EXPECT_EQ(oras::test::run(io, r->read(buf)), 4096u);
    EXPECT_EQ(oras::test::run(io, r->read(buf)), 4096u);
    EXPECT_EQ(oras::test::error_of([&] { oras::test::run(io, r->read(buf)); }),
              oras::errc::digest_mismatch);
    EXPECT_FALSE(fs::exists(entry));
    EXPECT_EQ(cache.stats().corrupt, 1u);
    EXPECT_FALSE(cache.open(d));

    oras::test::run(io, drain(cache.tee(d, byte_source::from_string(content))));
    write_file(entry, "short");  // truncated: found when opened
    EXPECT_FALSE(cache.open(d));
    EXPECT_FALSE(fs::exists(entry));
    const auto s = cache.stats();
    EXPECT_EQ(s.corrupt, 2u);
    EXPECT_EQ(s.hits, 1u);
    EXPECT_EQ(s.misses, 2u);
}

TEST(blob_cache, a_hit_reads_the_entry_it_opened_whatever_happens_to_the_name_meanwhile) {
    temp_dir dir;
    asio::io_context io;
    blob_cache cache(dir.path());
    const std::string content = "checked content";
    const auto d = describe(content);
    oras::test::run(io, drain(cache.tee(d, byte_source::from_string(content))));
    const auto entry = dir / "blobs/sha256" / std::string(d.digest.encoded());

    auto trimmed = cache.open(d);
    ASSERT_TRUE(trimmed);
    fs::remove(entry);  // a trim by another process, between the open and the read
    EXPECT_EQ(oras::test::run(io, drain(std::move(*trimmed))), content);

    oras::test::run(io, drain(cache.tee(d, byte_source::from_string(content))));
    auto replaced = cache.open(d);
    ASSERT_TRUE(replaced);
    write_file(entry.string() + ".other", "something else!");
    fs::rename(entry.string() + ".other", entry);  // renamed over it
    EXPECT_EQ(oras::test::run(io, drain(std::move(*replaced))), content);

    // Gone before it is opened: a plain miss, not a damaged entry.
    fs::remove(entry);
    EXPECT_FALSE(cache.open(d));
    EXPECT_EQ(cache.stats().corrupt, 0u);
}

TEST(blob_cache, trim_evicts_the_least_recently_used_first) {
    temp_dir dir;
    asio::io_context io;
    blob_cache cache(dir.path(), {.max_bytes = 25});
    std::vector<descriptor> ds;
    for (const std::string c : {"0123456789a", "0123456789b", "0123456789c"}) {
        ds.push_back(describe(c));
        oras::test::run(io, drain(cache.tee(ds.back(), byte_source::from_string(c))));
    }
    // Ages: a used last, b oldest, c in between.
    const auto now = fs::file_time_type::clock::now();
    const auto path = [&](const descriptor& d) {
        return dir / "blobs/sha256" / std::string(d.digest.encoded());
    };
    fs::last_write_time(path(ds[0]), now - std::chrono::minutes(30));
    fs::last_write_time(path(ds[1]), now - std::chrono::minutes(20));
    fs::last_write_time(path(ds[2]), now - std::chrono::minutes(10));
    ASSERT_TRUE(cache.open(ds[0]));  // a hit makes it the most recent
    // A temporary file a killed process left two hours ago goes; a fresh one stays.
    write_file(dir / "blobs/sha256/.stale.oras-AAAAAA", "x");
    fs::last_write_time(dir / "blobs/sha256/.stale.oras-AAAAAA", now - std::chrono::hours(2));
    write_file(dir / "blobs/sha256/.fresh.oras-BBBBBB", "x");
    // A name made under a claim is its owner's sweep's business, however old: its writer may be
    // slow, not gone.
    const std::string claimed = ".slow.oras-0123456789abcdef-CCCCCC";
    write_file(dir / "blobs/sha256" / claimed, "x");
    fs::last_write_time(dir / "blobs/sha256" / claimed, now - std::chrono::hours(2));

    EXPECT_EQ(cache.trim(), 22u);
    EXPECT_TRUE(fs::exists(dir / "blobs/sha256" / claimed));
    EXPECT_TRUE(fs::exists(path(ds[0])));
    EXPECT_FALSE(fs::exists(path(ds[1])));
    EXPECT_TRUE(fs::exists(path(ds[2])));
    EXPECT_FALSE(fs::exists(dir / "blobs/sha256/.stale.oras-AAAAAA"));
    EXPECT_TRUE(fs::exists(dir / "blobs/sha256/.fresh.oras-BBBBBB"));
    EXPECT_EQ(cache.stats().evicted, 1u);
    // Unbounded: trim only counts.
    blob_cache unbounded(dir.path());
    EXPECT_EQ(unbounded.trim(), 22u);
}

TEST(blob_cache, trim_walks_no_blobs_directory_that_is_a_symlink) {
    // A shared cache directory where someone made `blobs` a link to files of another: trimming
    // must not evict (delete) them.
    temp_dir dir;
    write_file(dir / "victim/sha256/old-data", "0123456789abcdefghij");
    fs::last_write_time(dir / "victim/sha256/old-data",
                        fs::file_time_type::clock::now() - std::chrono::hours(48));
    write_file(dir / "victim/sha256/.old-dotfile", "x");
    fs::last_write_time(dir / "victim/sha256/.old-dotfile",
                        fs::file_time_type::clock::now() - std::chrono::hours(48));
    fs::create_directories(dir / "cache");
    fs::create_directory_symlink(dir / "victim", dir / "cache/blobs");
    blob_cache cache(dir / "cache", {.max_bytes = 1});
    EXPECT_EQ(cache.trim(), 0u);
    EXPECT_TRUE(fs::exists(dir / "victim/sha256/old-data"));
    EXPECT_TRUE(fs::exists(dir / "victim/sha256/.old-dotfile"));
    EXPECT_EQ(cache.stats().evicted, 0u);
}

TEST(blob_cache, sizes_in_oras_cache_max_size) {
    using oras::cli::parse_size;
    EXPECT_EQ(parse_size("0"), 0u);
    EXPECT_EQ(parse_size("1048576"), 1048576u);
    EXPECT_EQ(parse_size("512B"), 512u);
    EXPECT_EQ(parse_size("4K"), 4096u);
    EXPECT_EQ(parse_size("500M"), 500u << 20);
    EXPECT_EQ(parse_size("10G"), 10ull << 30);
    EXPECT_EQ(parse_size("10GiB"), 10ull << 30);
    EXPECT_EQ(parse_size("2t"), 2ull << 40);
    EXPECT_EQ(parse_size("3MB"), 3u << 20);
    for (const char* bad : {"", "G", "-1", "1.5G", "10 G", "10X", "10GG", "10GiBs",
                            "18446744073709551616", "17179869184G"}) {
        EXPECT_FALSE(parse_size(bad)) << bad;
    }
}

}  // namespace
