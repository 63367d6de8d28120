// Test helpers: where direct I/O (O_DIRECT) can be seen to work.
#pragma once

#include <oras/test/temp_dir.hpp>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace oras::test {

/// Whether a file under `dir` takes direct writes of page-aligned 4 KiB multiples: not tmpfs
/// or ramfs (they take the flag and cache the data all the same), opened with O_DIRECT, and
/// where the kernel reports an alignment (statx), one of at most 4 KiB.
inline bool takes_direct(const std::filesystem::path& dir) {
    struct statfs sfs {};
    if (::statfs(dir.c_str(), &sfs) != 0 || sfs.f_type == TMPFS_MAGIC
        || sfs.f_type == RAMFS_MAGIC) {
        return false;
    }
    const auto p = dir / "direct-probe";
    const int fd = ::open(p.c_str(), O_RDWR | O_CREAT | O_EXCL | O_DIRECT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return false;
    }
    bool ok = true;
#ifdef STATX_DIOALIGN
    struct statx sx {};
    if (::statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0
        && (sx.stx_mask & STATX_DIOALIGN) != 0) {
        ok = sx.stx_dio_offset_align != 0 && sx.stx_dio_offset_align <= 4096
             && sx.stx_dio_mem_align <= 4096;
    }
#endif
    ::close(fd);
    std::error_code ec;
    std::filesystem::remove(p, ec);
    return ok;
}

/// Whether direct writes under `dir` are known to bypass the page cache: ext4 and xfs (other
/// file systems may take the flag and write through the cache, as btrfs does for files with
/// checksums on recent kernels).
inline bool direct_bypasses_cache(const std::filesystem::path& dir) {
    struct statfs sfs {};
    return takes_direct(dir) && ::statfs(dir.c_str(), &sfs) == 0
           && (sfs.f_type == EXT4_SUPER_MAGIC || sfs.f_type == XFS_SUPER_MAGIC);
}

/// A temporary directory where direct writes are taken, if there is one: under $TMPDIR when
/// they are there, else under the working directory (ctest runs tests in the build tree, on
/// a disk). `direct()` says whether it found one; removed with its contents.
class direct_dir {
  public:
    direct_dir() {
        if (takes_direct(tmp_.path())) {
            path_ = tmp_.path();
            direct_ = true;
            return;
        }
        std::string name = (std::filesystem::current_path() / "oras-direct-XXXXXX").string();
        if (::mkdtemp(name.data()) != nullptr) {
            local_ = name;
            if (takes_direct(local_)) {
                path_ = local_;
                direct_ = true;
                return;
            }
        }
        path_ = tmp_.path();  // neither: tests still check what is written, through the cache
    }
    ~direct_dir() {
        if (!local_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(local_, ec);
        }
    }
    direct_dir(const direct_dir&) = delete;
    direct_dir& operator=(const direct_dir&) = delete;

    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
    bool direct() const noexcept { return direct_; }

  private:
    temp_dir tmp_{"oras-direct-"};
    std::filesystem::path local_;
    std::filesystem::path path_;
    bool direct_ = false;
};

}  // namespace oras::test
