#include "core/file_writer.hpp"

#include "core/posix_file.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

namespace oras::detail {

namespace {

// Turns O_DIRECT on or off for the open file description: 0, or errno.
int set_direct(int fd, bool on) noexcept {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) {
        return errno;
    }
    const int wanted = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    return wanted == flags || ::fcntl(fd, F_SETFL, wanted) == 0 ? 0 : errno;
}

// Writers holding a place among `file_writer::max_direct`.
std::atomic<unsigned> direct_places{0};

bool take_direct_place() noexcept {
    unsigned n = direct_places.load(std::memory_order_relaxed);
    do {
        if (n >= file_writer::max_direct) {
            return false;
        }
    } while (!direct_places.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
}

void give_direct_place() noexcept {
    direct_places.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace

unsigned file_writer::direct_writers() noexcept {
    return direct_places.load(std::memory_order_relaxed);
}

file_writer::file_writer(int fd, std::uint64_t at, std::uint64_t direct_from) noexcept
    : fd_(fd), start_(at), end_(at), direct_from_(direct_from), behind_(fd, at) {}

file_writer::~file_writer() {
    stop();
    if (direct_) {
        set_direct(fd_, false);  // for whoever holds the descriptor next
    }
    release();
}

void file_writer::release() noexcept {
    for (auto*& b : owned_) {
        std::free(b);
        b = nullptr;
    }
    free_count_ = 0;
    current_ = nullptr;
    if (placed_) {
        placed_ = false;
        give_direct_place();
    }
}

int file_writer::write(std::span<const std::byte> data) noexcept {
    if (error_ != 0) {
        return error_;
    }
    while (!data.empty()) {
        if (!direct_) {
            std::size_t n = data.size();
            if (!tried_ && end_ < direct_from_) {
                n = static_cast<std::size_t>(std::min<std::uint64_t>(n, direct_from_ - end_));
            } else if (!tried_ && end_ % alignment != 0) {
                // A file continued from an unaligned offset: up to the next aligned one first.
                n = std::min(n, alignment - static_cast<std::size_t>(end_ % alignment));
            } else if (!tried_) {
                start_direct();
                if (!direct_) {
                    behind_.wrote(untold_);
                }
                untold_ = 0;
                continue;
            }
            if (const int err = write_buffered(data.first(n)); err != 0) {
                return error_ = err;
            }
            data = data.subspan(n);
            continue;
        }
        const auto n = std::min(block - fill_, data.size());
        std::memcpy(current_ + fill_, data.data(), n);
        fill_ += n;
        end_ += n;
        data = data.subspan(n);
        if (fill_ == block) {
            if (const int err = submit(); err != 0) {
                return error_ = err;
            }
        }
    }
    return 0;
}

int file_writer::put(std::size_t n) noexcept {
    if (error_ != 0) {
        return error_;
    }
    if (!direct_ || n > block - fill_) {
        return EINVAL;  // more than `room()` offered
    }
    fill_ += n;
    end_ += n;
    if (fill_ == block) {
        if (const int err = submit(); err != 0) {
            return error_ = err;
        }
    }
    return 0;
}

int file_writer::write_buffered(std::span<const std::byte> data) noexcept {
    if (const int err = pwrite_all(fd_, data, end_); err != 0) {
        return err;
    }
    end_ += data.size();
    if (tried_) {
        behind_.wrote(data.size());
    } else {
        // Told once direct writes turn out not to be taken: until then the thread that would
        // write directly is the one to hand these bytes to the disk.
        untold_ += data.size();
    }
    return 0;
}

void file_writer::start_direct() noexcept {
    tried_ = true;
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        return;
    }
    // tmpfs and ramfs take O_DIRECT (tmpfs since Linux 6.6) and keep the data in the page cache
    // all the same: nothing to bypass there, only a thread and blocks to pay for.
    struct statfs sfs {};
    if (::fstatfs(fd_, &sfs) == 0 && (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC)) {
        return;
    }
#ifdef STATX_DIOALIGN
    // Where the kernel says (Linux 6.1 on): a file it would write through the cache anyway
    // (ext4 with data=journal, an inline-data or verity file) says 0, and a device whose blocks
    // are larger than the alignment here asks for more.
    struct statx sx {};
    if (::statx(fd_, "", AT_EMPTY_PATH, STATX_DIOALIGN, &sx) == 0
        && (sx.stx_mask & STATX_DIOALIGN) != 0
        && (sx.stx_dio_offset_align == 0 || sx.stx_dio_offset_align > alignment
            || sx.stx_dio_mem_align > alignment)) {
        return;
    }
#endif
    if (!take_direct_place()) {
        return;  // enough files being written directly: this one through the cache
    }
    placed_ = true;  // given back with the blocks, by `release`
    for (auto*& b : owned_) {
        b = static_cast<std::byte*>(std::aligned_alloc(alignment, block));
        if (b == nullptr) {
            release();
            return;
        }
    }
    if (set_direct(fd_, true) != 0) {
        release();
        return;  // a file system without direct I/O: the page cache, as before
    }
    current_ = owned_[0];
    for (std::size_t i = 1; i < blocks; ++i) {
        free_[free_count_++] = owned_[i];
    }
    if (end_ > start_) {
        // What went through the page cache before: handed to the disk by the thread, and dropped
        // from the cache once written back, as write_behind would have.
        queue_[0] = job{nullptr, static_cast<std::size_t>(end_ - start_), start_};
        queued_ = 1;
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (...) {
        set_direct(fd_, false);
        queued_ = 0;
        release();
        return;
    }
    direct_ = true;
}

int file_writer::submit() noexcept {
    const job j{current_, fill_, end_ - fill_};
    current_ = nullptr;
    fill_ = 0;
    std::unique_lock lock(mutex_);
    if (thread_error_ != 0) {
        // Not written after the failure: the file stays a prefix of the bytes given.
        free_[free_count_++] = j.data;
        return thread_error_;
    }
    // Room for it: the ring holds every block and the prefix job.
    queue_[(queue_head_ + queued_) % queue_.size()] = j;
    ++queued_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return free_count_ != 0 || thread_error_ != 0; });
    if (thread_error_ != 0) {
        return thread_error_;
    }
    current_ = free_[--free_count_];
    return 0;
}

int file_writer::drain() noexcept {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return (queued_ == 0 && !writing_) || thread_error_ != 0; });
    return thread_error_;
}

void file_writer::stop() noexcept {
    if (!thread_.joinable()) {
        return;
    }
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

void file_writer::drop_prefix() noexcept {
    if (prefix_.size != 0) {
        // A hint: pages not yet written back are skipped (they stay cached), and nothing here
        // looks at a write-back error, which the caller's fsync reports.
        ::posix_fadvise(fd_, static_cast<off_t>(prefix_.offset), static_cast<off_t>(prefix_.size),
                        POSIX_FADV_DONTNEED);
        prefix_.size = 0;
    }
}

void file_writer::run() noexcept {
    // write_behind's hints on every block: on a direct write they find no page to hand over or
    // drop (a few microseconds per 8 MiB), and they keep the cache in check where the file
    // system turned the direct writes into buffered ones without a word, or refused them.
    std::optional<write_behind> hints;
    bool through_cache = false;  // direct writes were refused
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return stopping_ || queued_ != 0; });
        if (stopping_) {
            return;
        }
        const job j = queue_[queue_head_];
        queue_head_ = (queue_head_ + 1) % queue_.size();
        --queued_;
        writing_ = true;
        lock.unlock();
        int err = 0;
        if (j.data == nullptr) {
            // Started, not waited for: a wait here would hold the caller up for the write-back
            // of the whole range, and would take its error away from the caller's fsync.
            ::sync_file_range(fd_, static_cast<off_t>(j.offset), static_cast<off_t>(j.size),
                              SYNC_FILE_RANGE_WRITE);
            prefix_ = j;
            prefix_countdown_ = drop_after_blocks;
        } else {
            const std::span<const std::byte> data(j.data, j.size);
            if (!hints) {
                hints.emplace(fd_, j.offset);
            }
            err = pwrite_all(fd_, data, j.offset);
            if (err == EINVAL && !through_cache && set_direct(fd_, false) == 0) {
                // The file system took O_DIRECT but not writes of this alignment: the rest goes
                // through the page cache.
                through_cache = true;
                err = pwrite_all(fd_, data, j.offset);
            }
            if (err == 0) {
                hints->wrote(j.size);
            }
            if (prefix_countdown_ != 0 && --prefix_countdown_ == 0) {
                drop_prefix();
            }
        }
        lock.lock();
        writing_ = false;
        if (j.data != nullptr) {
            free_[free_count_++] = j.data;
        }
        if (err != 0 && thread_error_ == 0) {
            thread_error_ = err;
            for (; queued_ != 0; --queued_) {
                if (auto* b = queue_[queue_head_].data) {
                    free_[free_count_++] = b;
                }
                queue_head_ = (queue_head_ + 1) % queue_.size();
            }
        }
        changed_.notify_all();
    }
}

int file_writer::flush() noexcept {
    if (direct_) {
        // Even after an error: the thread stopped and O_DIRECT off, whoever holds the
        // descriptor next.
        int err = error_ != 0 ? error_ : drain();
        stop();
        direct_ = false;
        if (const int off = set_direct(fd_, false); err == 0) {
            err = off;
        }
        // The last, partial block through the page cache: its length need not be aligned.
        if (err == 0 && fill_ != 0) {
            err = pwrite_all(fd_, std::span<const std::byte>(current_, fill_), end_ - fill_);
        }
        fill_ = 0;
        release();
        drop_prefix();
        behind_ = write_behind(fd_, end_);
        if (error_ == 0) {
            error_ = err;
        }
    }
    if (error_ == 0 && ::lseek(fd_, static_cast<off_t>(end_), SEEK_SET) < 0) {
        error_ = errno;
    }
    return error_;
}

}  // namespace oras::detail
