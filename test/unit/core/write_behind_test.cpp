#include "core/write_behind.hpp"
#include "content/file_paths.hpp"
#include "core/posix_file.hpp"

#include <oras/test/files.hpp>
#include <oras/test/page_cache.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

namespace {

using oras::test::byte_at;

namespace fs = std::filesystem;
using oras::detail::unique_fd;
using oras::detail::write_behind;
using oras::test::resident_share;

constexpr std::size_t mib = std::size_t{1} << 20;

// Writes `total` bytes in 1 MiB writes, as a pull does, telling `behind` after each. With
// `keep_up`, each window is synced once written, as a disk that keeps up with the writer has it
// written back by the time the writer is two windows further: what is dropped then is known.
void write_through(int fd, write_behind& behind, std::uint64_t total, bool keep_up = true) {
    std::vector<std::byte> buf(mib);
    for (std::uint64_t at = 0; at < total; at += mib) {
        for (std::size_t i = 0; i < buf.size(); ++i) {
            buf[i] = byte_at(at + i);
        }
        ASSERT_EQ(oras::detail::write_all(fd, buf), 0);
        behind.wrote(buf.size());
        if (keep_up && (at + mib) % write_behind::window == 0) {
            ASSERT_EQ(::fdatasync(fd), 0);
        }
    }
}

// Whether the file system under `dir` drops clean pages when told to: tmpfs and ramfs are the
// page cache itself, and an overlay passes the advice to no pages of its own.
bool drops_pages(const fs::path& dir) {
    const auto p = dir / "probe";
    const unique_fd fd(::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    std::vector<std::byte> page(64 * 1024, std::byte{1});
    if (!fd || oras::detail::write_all(fd.get(), page) != 0 || ::fdatasync(fd.get()) != 0) {
        return false;
    }
    ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
    const bool dropped = resident_share(p, 0, page.size()) < 0.5;
    fs::remove(p);
    return dropped;
}

// A new file at `p`, for writing.
unique_fd create(const fs::path& p) {
    unique_fd fd(::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    EXPECT_TRUE(fd) << p;
    return fd;
}

// Tests of what leaves the page cache, in a directory whose file system drops pages when told
// to: $TMPDIR when it does, else one under the working directory (ctest runs the tests in the
// build tree). With neither, the test fails: it never passes without having looked.
class write_behind_cache : public ::testing::Test {
  protected:
    void SetUp() override {
        if (drops_pages(tmp_.path())) {
            dir_ = tmp_.path();
            return;
        }
        std::string name = (fs::current_path() / "oras-write-behind-XXXXXX").string();
        ASSERT_NE(::mkdtemp(name.data()), nullptr) << "cannot create " << name;
        local_ = name;
        ASSERT_TRUE(drops_pages(local_))
            << "neither " << tmp_.path() << " nor " << local_
            << " is on a file system that drops pages it is told to drop";
        dir_ = local_;
    }
    void TearDown() override {
        if (!local_.empty()) {
            std::error_code ec;
            fs::remove_all(local_, ec);
        }
    }

    fs::path dir_;

  private:
    oras::test::temp_dir tmp_;
    fs::path local_;
};

TEST(write_behind, a_large_file_is_written_whole) {
    const oras::test::temp_dir dir;
    const auto p = dir / "big";
    constexpr std::uint64_t total = 64 * mib;
    {
        const auto fd = create(p);
        ASSERT_TRUE(fd);
        write_behind behind(fd.get());
        write_through(fd.get(), behind, total, false);
        EXPECT_TRUE(behind.active());
        ASSERT_EQ(::fsync(fd.get()), 0);
    }
    ASSERT_EQ(fs::file_size(p), total);
    const unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
    std::vector<std::byte> buf(mib);
    for (std::uint64_t at = 0; at < total; at += mib) {
        ASSERT_EQ(oras::detail::pread_some(fd.get(), buf, at), static_cast<std::ptrdiff_t>(mib));
        for (std::size_t i = 0; i < buf.size(); ++i) {
            ASSERT_EQ(buf[i], byte_at(at + i)) << "at byte " << at + i;
        }
    }
}

TEST_F(write_behind_cache, what_is_behind_the_writer_leaves_the_page_cache) {
    const auto p = dir_ / "big";
    constexpr std::uint64_t total = 64 * mib;
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    write_behind behind(fd.get());
    write_through(fd.get(), behind, total);
    // Everything more than two windows behind the end was on disk when it was dropped; the
    // last windows are still cached.
    EXPECT_LT(resident_share(p, 0, total - write_behind::kept), 0.05);
    EXPECT_GT(resident_share(p, total - write_behind::window, total), 0.95);
}

TEST(write_behind, a_small_file_is_left_to_the_page_cache) {
    const oras::test::temp_dir dir;
    const auto p = dir / "small";
    constexpr std::uint64_t total = write_behind::threshold - mib;
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    write_behind behind(fd.get());
    write_through(fd.get(), behind, total);
    EXPECT_GT(resident_share(p, 0, total), 0.95);
}

TEST_F(write_behind_cache, a_file_continued_from_an_offset_keeps_its_prefix_as_it_was) {
    const auto p = dir_ / "resumed";
    constexpr std::uint64_t prefix = 40 * mib;
    const auto fd = create(p);
    ASSERT_TRUE(fd);
    ASSERT_EQ(::ftruncate(fd.get(), static_cast<off_t>(prefix)), 0);
    ASSERT_EQ(::lseek(fd.get(), static_cast<off_t>(prefix), SEEK_SET), static_cast<off_t>(prefix));
    write_behind behind(fd.get(), prefix);
    write_through(fd.get(), behind, 48 * mib);
    // Only what was written here is dropped behind the writer: the prefix (a hole here) is
    // none of its business, and the written part is mostly gone.
    EXPECT_LT(resident_share(p, prefix, prefix + 32 * mib), 0.05);
}

// A temporary file's large writes leave the page cache either way: written directly
// (file_writer), the first ones dropped once the writer goes direct, or dropped behind the writer
// on a file system without direct I/O.
TEST_F(write_behind_cache, a_temporary_file_leaves_the_page_cache_and_starts_again_after_a_cut) {
    oras::content::detail::temp_file tmp(dir_ / "pulled");
    std::vector<std::byte> buf(mib, std::byte{7});
    const auto write = [&](std::uint64_t n) {
        for (std::uint64_t i = 0; i < n; i += mib) {
            tmp.write(buf);
            if ((i + mib) % write_behind::window == 0) {
                ASSERT_EQ(::fdatasync(tmp.fd()), 0);
            }
        }
    };
    write(64 * mib);
    // Checked with the writer still going: the prefix was synced above (at 40 MiB) before the
    // writer's thread dropped it, which it does `drop_after_blocks` (8) blocks after starting,
    // i.e. once the caller handed over the block ending at 48 MiB.
    EXPECT_LT(resident_share(tmp.path(), 0, 48 * mib), 0.05);
    // Cut back (a resumed pull keeps a prefix) and written on from there: the bytes written
    // after the cut are dropped behind the writer as before.
    tmp.truncate(8 * mib);
    write(64 * mib);
    tmp.close(false);  // blocks may still be on their way to the disk until then
    EXPECT_EQ(fs::file_size(tmp.path()), 72 * mib);
    EXPECT_LT(resident_share(tmp.path(), 8 * mib, 56 * mib), 0.05);
}

TEST(write_behind, a_file_without_write_back_turns_it_off_silently) {
    const unique_fd fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(fd);
    write_behind behind(fd.get());
    for (int i = 0; i < 16; ++i) {
        behind.wrote(write_behind::window);
    }
    EXPECT_FALSE(behind.active());
}

}  // namespace
