// Internal: a large file streamed to the disk as it is written, and out of the page cache
// behind the writer.
//
// Why: a pull that writes a large blob would otherwise leave all of it dirty in the page cache
// until its final sync. On a virtual machine whose memory the host backs lazily (a fresh cloud
// VM or CI runner) every page-cache page the guest has not used before costs a host fault: one
// 1 GiB pull measured 0.4 to 3.7 s of kernel time run to run, `dd` of 1 GiB 0.2 to 2.9 s, where
// `dd oflag=nocache` was 0.3 s every time. On any machine it also pushes everything else out of
// the cache. Writing each window back once it is full and dropping the windows already on disk
// keeps a few windows cached, reuses their pages, and leaves little for the final fsync.
//
// Only hints: durability still comes from the caller's fsync/syncfs. A write-back error seen
// here is returned, since the kernel reports it once per open file and the later fsync would
// then miss it.
#pragma once

#include <cstdint>

namespace oras::detail {

class write_behind {
  public:
    /// Bytes written back at a time.
    static constexpr std::uint64_t window = std::uint64_t{8} << 20;
    /// A file shorter than this is left to the page cache: small files are cheap there, and a
    /// reader that wants them next finds them.
    static constexpr std::uint64_t threshold = std::uint64_t{32} << 20;

    /// For `fd`, written sequentially from offset `at` on (the bytes before it are left as
    /// they are).
    explicit write_behind(int fd, std::uint64_t at = 0) noexcept;

    /// Call after each sequential write of `n` bytes: 0, or the errno of a write-back that
    /// failed (the caller's write error). On a file system without sync_file_range(2) it
    /// turns itself off.
    int wrote(std::uint64_t n) noexcept;

  private:
    int fd_;
    bool active_ = true;
    std::uint64_t written_;  // end offset of what was written
    std::uint64_t started_;  // write-back started for everything before it
    std::uint64_t dropped_;  // written back and dropped from the cache before it
};

}  // namespace oras::detail
