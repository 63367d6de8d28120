// Internal: a large file handed to the disk as it is written, and dropped from the page cache
// behind the writer.
//
// Why: a pull that writes a large blob would otherwise leave all of it dirty in the page cache
// until its final sync. On a virtual machine whose memory the host backs lazily (a fresh cloud
// VM or CI runner) every page-cache page the guest has not used before costs a host fault: one
// 1 GiB pull measured 0.4 to 3.7 s of kernel time run to run, `dd` of 1 GiB 0.2 to 2.9 s, where
// `dd oflag=nocache` was 0.3 s every time. On any machine it also pushes everything else out of
// the cache. Starting the write-back of each window once it is full, and dropping the windows
// behind it, keeps a few windows cached, reuses their pages, and leaves little for the final
// fsync.
//
// Hints only, and never waited on: the event loop that writes must not stall on the disk, and a
// page still being written when its window is dropped simply stays cached (reclaimable once
// clean). Errors are not looked at either: a write-back that fails is reported by the caller's
// fsync/syncfs, which is also where durability comes from. Header-only: the CLI uses it too.
#pragma once

#include <fcntl.h>

#include <cerrno>
#include <cstdint>

namespace oras::detail {

class write_behind {
  public:
    /// Bytes handed to the disk at a time.
    static constexpr std::uint64_t window = std::uint64_t{8} << 20;
    /// A file shorter than this is left to the page cache: small files are cheap there, and a
    /// reader that wants them next finds them.
    static constexpr std::uint64_t threshold = std::uint64_t{32} << 20;
    /// Windows left cached behind the one being written: their write-back, started then, has
    /// had the time of two windows to finish.
    static constexpr std::uint64_t kept = 2 * window;

    /// For `fd`, written sequentially from offset `at` on (the bytes before it are left as they
    /// are).
    explicit write_behind(int fd, std::uint64_t at = 0) noexcept
        : fd_(fd), written_(at), started_(at / window * window), dropped_(started_) {}

    /// Call after each sequential write of `n` bytes. On a descriptor that takes no such hints
    /// (not a regular file; a file system without them) it turns itself off.
    void wrote(std::uint64_t n) noexcept {
        written_ += n;
        if (!active_ || written_ < threshold) {
            return;
        }
        const auto full = written_ / window * window;
        if (full > started_) {
            if (::sync_file_range(fd_, static_cast<off_t>(started_),
                                  static_cast<off_t>(full - started_), SYNC_FILE_RANGE_WRITE)
                    != 0
                && (errno == EINVAL || errno == ESPIPE || errno == ENOSYS || errno == EBADF
                    || errno == EPERM || errno == EOPNOTSUPP)) {
                active_ = false;
                return;
            }
            started_ = full;
        }
        if (started_ >= dropped_ + kept + window) {
            const auto end = started_ - kept;
            ::posix_fadvise(fd_, static_cast<off_t>(dropped_), static_cast<off_t>(end - dropped_),
                            POSIX_FADV_DONTNEED);
            dropped_ = end;
        }
    }

    /// False once the descriptor turned out not to take the hints.
    bool active() const noexcept { return active_; }

  private:
    int fd_;
    bool active_ = true;
    std::uint64_t written_;  // end offset of what was written
    std::uint64_t started_;  // write-back started for everything before it
    std::uint64_t dropped_;  // dropped from the cache (when written back) before it
};

}  // namespace oras::detail
