#include "core/file_writer.hpp"

#include "core/posix_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

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

}  // namespace

file_writer::file_writer(int fd, std::uint64_t at) noexcept
    : fd_(fd), start_(at), end_(at), behind_(fd, at) {}

file_writer::~file_writer() {
    stop();
    release();
}

void file_writer::release() noexcept {
    for (auto* b : owned_) {
        std::free(b);
    }
    owned_.clear();
    free_.clear();
    current_ = nullptr;
}

int file_writer::write(std::span<const std::byte> data) noexcept {
    if (error_ != 0) {
        return error_;
    }
    written_ += data.size();
    while (!data.empty()) {
        if (!direct_) {
            std::size_t n = data.size();
            if (!tried_ && end_ < direct_after) {
                n = static_cast<std::size_t>(std::min<std::uint64_t>(n, direct_after - end_));
            } else if (!tried_ && end_ % alignment != 0) {
                // A file continued from an unaligned offset: up to the next aligned one first.
                n = std::min(n, alignment - static_cast<std::size_t>(end_ % alignment));
            } else if (!tried_) {
                start_direct();
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
    written_ += n;
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
    behind_.wrote(data.size());
    return 0;
}

void file_writer::start_direct() noexcept {
    tried_ = true;
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
        return;  // O_DIRECT means something else on a pipe
    }
    for (std::size_t i = 0; i < blocks; ++i) {
        auto* b = static_cast<std::byte*>(std::aligned_alloc(alignment, block));
        if (b == nullptr) {
            release();
            return;
        }
        owned_.push_back(b);
    }
    if (set_direct(fd_, true) != 0) {
        release();
        return;  // a file system without direct I/O: the page cache, as before
    }
    try {
        thread_ = std::thread([this] { run(); });
    } catch (const std::system_error&) {
        set_direct(fd_, false);
        release();
        return;
    }
    current_ = owned_.front();
    free_.assign(owned_.begin() + 1, owned_.end());
    direct_ = true;
    // What went through the page cache before: written back and dropped by the thread, as
    // write_behind would have, without the caller waiting on it.
    if (end_ > start_) {
        const std::lock_guard lock(mutex_);
        queue_.push_back(job{nullptr, static_cast<std::size_t>(end_ - start_), start_});
        changed_.notify_all();
    }
}

int file_writer::submit() noexcept {
    const job j{current_, fill_, end_ - fill_};
    current_ = nullptr;
    fill_ = 0;
    std::unique_lock lock(mutex_);
    queue_.push_back(j);
    changed_.notify_all();
    changed_.wait(lock, [this] { return !free_.empty() || thread_error_ != 0; });
    if (thread_error_ != 0) {
        return thread_error_;
    }
    current_ = free_.back();
    free_.pop_back();
    return 0;
}

int file_writer::drain() noexcept {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return (queue_.empty() && !writing_) || thread_error_ != 0; });
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

void file_writer::run() noexcept {
    bool through_cache = false;
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
            return;
        }
        const job j = queue_.front();
        queue_.pop_front();
        writing_ = true;
        lock.unlock();
        if (j.data == nullptr) {
            // Hints, as in write_behind: a failed write-back shows in the caller's fsync.
            ::sync_file_range(
                fd_, static_cast<off_t>(j.offset), static_cast<off_t>(j.size),
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
            ::posix_fadvise(fd_, static_cast<off_t>(j.offset), static_cast<off_t>(j.size),
                            POSIX_FADV_DONTNEED);
            lock.lock();
            writing_ = false;
            changed_.notify_all();
            continue;
        }
        const std::span<const std::byte> data(j.data, j.size);
        int err = pwrite_all(fd_, data, j.offset);
        if (err == EINVAL && !through_cache && set_direct(fd_, false) == 0) {
            // The file system took O_DIRECT but not writes of this alignment: the rest goes
            // through the page cache.
            through_cache = true;
            err = pwrite_all(fd_, data, j.offset);
        }
        lock.lock();
        writing_ = false;
        free_.push_back(j.data);
        if (err != 0 && thread_error_ == 0) {
            thread_error_ = err;
            for (const auto& q : queue_) {
                free_.push_back(q.data);
            }
            queue_.clear();
        }
        changed_.notify_all();
    }
}

int file_writer::flush() noexcept {
    if (error_ == 0 && direct_) {
        int err = drain();
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
        behind_ = write_behind(fd_, end_);
        error_ = err;
    }
    if (error_ == 0 && ::lseek(fd_, static_cast<off_t>(end_), SEEK_SET) < 0) {
        error_ = errno;
    }
    return error_;
}

}  // namespace oras::detail
