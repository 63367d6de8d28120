#include "core/file_writer.hpp"
#include "core/posix_file.hpp"

#include <oras/test/direct_io.hpp>
#include <oras/test/files.hpp>
#include <oras/test/page_cache.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <array>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace {

using oras::test::byte_at;

namespace fs = std::filesystem;
using oras::detail::file_writer;
using oras::detail::unique_fd;
using oras::test::direct_dir;

constexpr std::uint64_t mib = std::uint64_t{1} << 20;

unique_fd create(const fs::path& p) {
    unique_fd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    EXPECT_TRUE(fd) << p;
    return fd;
}

// Writes bytes [from, to) of the pattern in writes of ever-changing sizes, none of them
// aligned to anything; true when the writer went direct at some point.
bool write_pattern(file_writer& w, std::uint64_t from, std::uint64_t to) {
    static constexpr std::array<std::size_t, 6> sizes{1, 4095, 65536, (1 << 20) + 3, 3 << 20, 17};
    std::vector<std::byte> buf(3 << 20);
    bool went_direct = false;
    std::size_t k = 0;
    for (std::uint64_t at = from; at < to; ++k) {
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>(sizes[k % sizes.size()], to - at));
        for (std::size_t i = 0; i < n; ++i) {
            buf[i] = byte_at(at + i);
        }
        EXPECT_EQ(w.write(std::span<const std::byte>(buf.data(), n)), 0) << "at byte " << at;
        went_direct = went_direct || w.direct();
        at += n;
    }
    return went_direct;
}

// The file holds the pattern from `from` to its end, which is `to`.
void expect_pattern(const fs::path& p, std::uint64_t from, std::uint64_t to) {
    ASSERT_EQ(fs::file_size(p), to);
    const unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    std::vector<std::byte> buf(mib);
    for (std::uint64_t at = from; at < to;) {
        const auto n = oras::detail::pread_some(fd.get(), buf, at);
        ASSERT_GT(n, 0) << "at byte " << at;
        for (std::ptrdiff_t i = 0; i < n; ++i) {
            ASSERT_EQ(buf[static_cast<std::size_t>(i)], byte_at(at + static_cast<std::uint64_t>(i)))
                << "at byte " << at + static_cast<std::uint64_t>(i);
        }
        at += static_cast<std::uint64_t>(n);
    }
}

TEST(file_writer, a_large_file_is_written_whole_from_writes_of_any_size) {
    const direct_dir dir;
    const auto p = dir / "big";
    const std::uint64_t total = 70 * mib + 12345;  // the last block is partial and unaligned
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    file_writer w(fd.get());
    const bool went_direct = write_pattern(w, 0, total);
    if (dir.direct()) {
        EXPECT_TRUE(went_direct) << "the file system takes O_DIRECT, yet the writer never used it";
    }
    ASSERT_EQ(w.flush(), 0);
    EXPECT_FALSE(w.direct());
    EXPECT_EQ(w.written(), total);
    EXPECT_EQ(::lseek(fd.get(), 0, SEEK_CUR), static_cast<off_t>(total));
    ASSERT_EQ(::fsync(fd.get()), 0);
    if (went_direct && oras::test::direct_bypasses_cache(dir.path())) {
        // Written from the blocks: the page cache never held those pages (the last block went
        // through it).
        EXPECT_LT(oras::test::resident_share(p, 34 * mib, 68 * mib), 0.05);
    }
    expect_pattern(p, 0, total);
}

TEST(file_writer, a_small_file_never_goes_direct) {
    const direct_dir dir;
    const auto p = dir / "small";
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    file_writer w(fd.get());
    EXPECT_FALSE(write_pattern(w, 0, file_writer::direct_after - 1));
    ASSERT_EQ(w.flush(), 0);
    expect_pattern(p, 0, file_writer::direct_after - 1);
}

TEST(file_writer, a_file_continued_from_an_unaligned_offset_keeps_its_prefix) {
    const direct_dir dir;
    const auto p = dir / "resumed";
    const std::uint64_t prefix = 40 * mib + 123;
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    {
        file_writer first(fd.get());
        write_pattern(first, 0, prefix);
        ASSERT_EQ(first.flush(), 0);
    }
    file_writer w(fd.get(), prefix);
    const bool went_direct = write_pattern(w, prefix, prefix + 20 * mib);
    if (dir.direct()) {
        EXPECT_TRUE(went_direct);
    }
    ASSERT_EQ(w.flush(), 0);
    expect_pattern(p, 0, prefix + 20 * mib);
}

TEST(file_writer, at_most_max_direct_files_are_written_directly_at_once) {
    const direct_dir dir;
    // Where no directory takes direct writes, none is taken, no place is held, and the files are
    // still whole.
    const bool d = dir.direct();
    // Each file is continued past `direct_after` (a hole before it), so its first write turns
    // direct writes on where a place is free.
    constexpr std::size_t n = file_writer::max_direct + 2;
    std::vector<unique_fd> fds;
    std::vector<std::unique_ptr<file_writer>> writers;
    const auto open_one = [&] {
        const auto i = fds.size();
        fds.push_back(create(dir / ("f" + std::to_string(i))));
        writers.push_back(
            std::make_unique<file_writer>(fds.back().get(), file_writer::direct_after));
        return write_pattern(*writers.back(), file_writer::direct_after,
                             file_writer::direct_after + 3 * file_writer::block + 5);
    };
    for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(open_one(), d && i < file_writer::max_direct) << "file " << i;
    }
    EXPECT_EQ(file_writer::direct_writers(), d ? file_writer::max_direct : 0U);
    // A place given back, by a flush or a writer dropped, is taken by the next large file.
    ASSERT_EQ(writers[0]->flush(), 0);
    writers[1].reset();
    EXPECT_EQ(file_writer::direct_writers(), d ? file_writer::max_direct - 2 : 0U);
    EXPECT_EQ(open_one(), d);
    EXPECT_EQ(open_one(), d);
    EXPECT_FALSE(open_one());
    for (std::size_t i = 0; i < writers.size(); ++i) {
        if (writers[i]) {
            ASSERT_EQ(writers[i]->flush(), 0) << "file " << i;
            expect_pattern(dir / ("f" + std::to_string(i)), file_writer::direct_after,
                           file_writer::direct_after + 3 * file_writer::block + 5);
        }
    }
    writers.clear();
    EXPECT_EQ(file_writer::direct_writers(), 0U);
}

TEST(file_writer, writes_after_a_flush_go_on_at_the_end) {
    const direct_dir dir;
    const auto p = dir / "twice";
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    file_writer w(fd.get());
    write_pattern(w, 0, 40 * mib + 5);
    ASSERT_EQ(w.flush(), 0);
    EXPECT_FALSE(write_pattern(w, 40 * mib + 5, 45 * mib));
    ASSERT_EQ(w.flush(), 0);
    expect_pattern(p, 0, 45 * mib);
}

TEST(file_writer, bytes_put_in_its_own_blocks_land_as_written_ones) {
    const direct_dir dir;
    const auto p = dir / "in-place";
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    file_writer w(fd.get());
    EXPECT_TRUE(w.room().empty());  // through the page cache: no blocks of its own
    EXPECT_EQ(w.put(1), EINVAL);
    std::uint64_t at = file_writer::direct_after + 5;
    write_pattern(w, 0, at);
    if (!dir.direct()) {
        EXPECT_TRUE(w.room().empty());
        return;
    }
    ASSERT_FALSE(w.room().empty());
    // Pieces of odd sizes into its blocks, now and then a copied write between them.
    const std::uint64_t total = at + 9 * mib + 7;
    for (std::size_t k = 0; at < total; ++k) {
        if (k % 5 == 4) {
            const auto n = std::min<std::uint64_t>(100000, total - at);
            write_pattern(w, at, at + n);
            at += n;
            continue;
        }
        const auto room = w.room();
        ASSERT_FALSE(room.empty());
        const auto n =
            static_cast<std::size_t>(std::min<std::uint64_t>({room.size(), 777777, total - at}));
        for (std::size_t i = 0; i < n; ++i) {
            room[i] = byte_at(at + i);
        }
        ASSERT_EQ(w.put(n), 0);
        at += n;
    }
    EXPECT_EQ(w.put(file_writer::block + 1), EINVAL);
    EXPECT_EQ(w.written(), total);
    ASSERT_EQ(w.flush(), 0);
    expect_pattern(p, 0, total);
}

// A write past the process's file size limit fails with EFBIG (SIGXFSZ ignored): a failure the
// disk gives, in the thread that writes directly as in the caller's own writes.
class file_writer_limit : public ::testing::Test {
  public:
    void limit(std::uint64_t bytes) {
        rlimit r = saved_;
        r.rlim_cur = static_cast<rlim_t>(bytes);
        ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &r), 0);
    }

  protected:
    void SetUp() override {
        ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved_), 0);
        saved_ok_ = true;
        old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    }
    void TearDown() override {
        if (saved_ok_) {
            ::setrlimit(RLIMIT_FSIZE, &saved_);
            std::signal(SIGXFSZ, old_handler_);
        }
    }

  private:
    rlimit saved_{};
    bool saved_ok_ = false;
    void (*old_handler_)(int) = SIG_DFL;
};

// Writes 64 MiB under a file size limit of `limit` bytes: the error, from the caller's write
// or from the flush.
int write_past(const fs::path& p, file_writer_limit& t, std::uint64_t limit, bool& went_direct) {
    const auto fd = create(p);
    t.limit(limit);
    file_writer w(fd.get());
    std::vector<std::byte> buf(mib, std::byte{1});
    int err = 0;
    for (std::uint64_t at = 0; at < 64 * mib && err == 0; at += mib) {
        err = w.write(buf);
        went_direct = went_direct || w.direct();
    }
    if (err == 0) {
        err = w.flush();
    }
    // Sticky, and the descriptor is left without O_DIRECT.
    EXPECT_EQ(w.write(buf), err);
    EXPECT_EQ(w.flush(), err);
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0);
    return err;
}

TEST_F(file_writer_limit, a_direct_write_the_file_system_refuses_is_reported_and_sticks) {
    const direct_dir dir;
    bool went_direct = false;
    // At a block boundary: the direct write there fails as a whole, in the writer's thread.
    EXPECT_EQ(write_past(dir / "limited", *this, 48 * mib, went_direct), EFBIG);
    if (dir.direct()) {
        EXPECT_TRUE(went_direct);
    }
}

TEST_F(file_writer_limit, a_direct_write_cut_short_goes_through_the_cache_and_stops_at_the_limit) {
    const direct_dir dir;
    bool went_direct = false;
    // Inside a block: the direct write is cut to an unaligned length (EINVAL), written again
    // through the page cache up to the limit, and the next fails.
    EXPECT_EQ(write_past(dir / "limited", *this, 48 * mib + 1000, went_direct), EFBIG);
    EXPECT_EQ(fs::file_size(dir / "limited"), 48 * mib + 1000);
    if (dir.direct()) {
        EXPECT_TRUE(went_direct);
    }
}

TEST(file_writer, a_writer_dropped_mid_file_leaves_a_prefix_of_what_it_was_given) {
    const direct_dir dir;
    const auto p = dir / "dropped";
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    {
        file_writer w(fd.get());
        write_pattern(w, 0, 50 * mib + 3);
    }
    // Blocks still queued are dropped, never written out of order: what the file holds is the
    // pattern from its start, and no more than was given.
    const auto size = fs::file_size(p);
    EXPECT_LE(size, 50 * mib + 3);
    expect_pattern(p, 0, size);
    EXPECT_EQ(::fcntl(fd.get(), F_GETFL) & O_DIRECT, 0);
}

}  // namespace
