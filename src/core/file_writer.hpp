// Internal: a file written front to back, where a large one goes to the disk directly.
//
// Why: writing a large blob through the page cache costs the kernel a copy of every byte into
// the cache, the cache's own bookkeeping, the write-back and the dropping behind it (see
// write_behind.hpp): a third of a 1 GiB pull's CPU time, the hashing being most of the rest.
// Past `direct_after` bytes the writer turns on O_DIRECT and hands whole aligned blocks to a
// thread of its own, which writes them from memory to the disk (one copy into the block, no
// cache pages), while the caller goes on receiving and hashing the next ones.
//
// The caller's thread blocks only when every block is waiting for the disk: a disk slower than
// the network then paces the writer (an event loop that writes stalls there, as a buffered
// writer stalls when the kernel throttles its dirty pages). A file that takes no O_DIRECT, or
// where it would bypass nothing (tmpfs, ramfs; a file system without it; a block size the
// alignment does not suit), is written through the page cache instead, with write_behind's
// hints.
//
// Nothing is durable here: the caller still fsyncs (or syncfs's) after `flush`, which also
// commits the metadata of what was written directly, and reports any write-back error of the
// part written through the cache (nothing here waits on that write-back, so nothing here
// consumes its error).
#pragma once

#include "core/write_behind.hpp"

#include <array>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace oras::detail {

class file_writer {
  public:
    /// Bytes written through the page cache before direct writes are tried: a small file is
    /// cheap there, and a reader that wants it next finds it.
    static constexpr std::uint64_t direct_after = write_behind::threshold;
    /// Bytes of each direct write, and of each of the `blocks` buffers (the memory a direct
    /// writer adds). 2 MiB writes keep a disk as busy as larger ones (1 GiB with `dd
    /// oflag=direct`: 0.85 s at 2 MiB, 0.86 at 4, 0.92 at 1, 1.11 at 512 KiB).
    static constexpr std::size_t block = std::size_t{2} << 20;
    static constexpr std::size_t blocks = 3;
    /// Writers in the process that write directly at once, each holding `blocks` blocks and a
    /// thread while it does: a pull of many large files at a high concurrency would otherwise
    /// hold 6 MiB per file in flight. The others write through the page cache, with
    /// write_behind's hints, as before direct writes: correct, at a higher CPU cost per byte.
    static constexpr unsigned max_direct = 2;
    /// Alignment of the buffers' memory and of every direct write's offset: a page, which suits
    /// any device whose logical blocks are no larger.
    static constexpr std::size_t alignment = 4096;

    /// Writes nothing.
    file_writer() = default;
    /// For `fd`, a regular file written from offset `at` on (the bytes before it are left as
    /// they are; the descriptor's own position is not used, and is left at the end by `flush`).
    /// Direct writes are tried from file offset `direct_from` on: a file continued past
    /// `direct_after` goes direct at once, as its first part did.
    explicit file_writer(int fd, std::uint64_t at = 0,
                         std::uint64_t direct_from = direct_after) noexcept;
    /// Stops the thread without waiting for what it was given to be written (what it had not
    /// started on is dropped: the file holds a prefix of the bytes given) and turns O_DIRECT
    /// off.
    ~file_writer();
    file_writer(const file_writer&) = delete;
    file_writer& operator=(const file_writer&) = delete;

    /// Appends `data`: 0, or the errno that stopped this write or an earlier direct one (sticky:
    /// once a write failed, every later call reports it).
    int write(std::span<const std::byte> data) noexcept;

    /// The free part of the current block while writing directly, else nothing: bytes read
    /// straight into it and given with `put` are not copied again.
    std::span<std::byte> room() noexcept {
        return direct_ && error_ == 0 ? std::span<std::byte>(current_ + fill_, block - fill_)
                                      : std::span<std::byte>{};
    }
    /// Gives the first `n` bytes of `room()` (at most its size): 0, or an errno as `write`.
    int put(std::size_t n) noexcept;

    /// Waits until every byte given is in the file (not durable yet: fsync comes next), turns
    /// direct writes off, and leaves the descriptor's position at the end. 0, or the errno that
    /// stopped a write. Writes may follow, through the page cache.
    int flush() noexcept;

    /// Whether writes go to the disk directly now.
    bool direct() const noexcept { return direct_; }
    /// Writers in the process writing directly now (at most `max_direct`).
    static unsigned direct_writers() noexcept;
    /// Bytes given to `write` since construction.
    std::uint64_t written() const noexcept { return end_ - start_; }

  private:
    // A block to write, or (no data) the range written through the page cache before, to hand
    // to the disk.
    struct job {
        std::byte* data;
        std::size_t size;
        std::uint64_t offset;
    };
    // Blocks written by the thread after that range was handed to the disk before it is dropped
    // from the page cache: time for its write-back to end (a page still being written is
    // skipped, and stays cached).
    static constexpr unsigned drop_after_blocks = 8;

    int write_buffered(std::span<const std::byte> data) noexcept;
    void start_direct() noexcept;
    int submit() noexcept;    // hands the full current block over and takes a free one
    int drain() noexcept;     // waits until the thread has written everything handed over
    void stop() noexcept;     // ends the thread; what it was not given yet is dropped
    void release() noexcept;  // frees the blocks and their place (the thread stopped)
    void run() noexcept;      // the thread
    void drop_prefix() noexcept;

    int fd_ = -1;
    std::uint64_t start_ = 0;  // file offset of the first byte given
    std::uint64_t end_ = 0;    // file offset after the last byte given (the current block's end)
    std::uint64_t direct_from_ = direct_after;  // file offset from which direct writes are tried
    bool tried_ = false;                        // direct writes were tried (once per writer)
    bool direct_ = false;
    int error_ = 0;  // sticky, of the caller's side
    write_behind behind_{-1};
    std::uint64_t untold_ = 0;  // bytes written through the cache not told to `behind_` yet

    // The caller's block being filled; it starts at file offset `end_ - fill_`.
    std::byte* current_ = nullptr;
    std::size_t fill_ = 0;
    std::array<std::byte*, blocks> owned_{};  // freed by `release`
    bool placed_ = false;  // holds one of the `max_direct` places, given back by `release`

    // The thread's own (the caller reads them once it has joined the thread).
    job prefix_{nullptr, 0, 0};  // the range to drop once written back (size 0: none)
    unsigned prefix_countdown_ = 0;

    // Shared with the thread, under `mutex_`. The queue never holds more than the blocks and the
    // prefix job: a ring that never allocates.
    std::mutex mutex_;
    std::condition_variable changed_;
    std::array<job, blocks + 1> queue_{};
    std::size_t queue_head_ = 0;
    std::size_t queued_ = 0;
    std::array<std::byte*, blocks> free_{};
    std::size_t free_count_ = 0;
    bool writing_ = false;  // the thread holds a job
    bool stopping_ = false;
    int thread_error_ = 0;
    std::thread thread_;
};

}  // namespace oras::detail
