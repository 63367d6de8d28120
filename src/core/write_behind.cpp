#include "core/write_behind.hpp"

#include <fcntl.h>

#include <cerrno>

namespace oras::detail {

namespace {

// Windows left cached behind the one being written: their write-back has had time to finish, so
// waiting for it before dropping them rarely waits.
constexpr std::uint64_t kept = 2 * write_behind::window;

}  // namespace

write_behind::write_behind(int fd, std::uint64_t at) noexcept
    : fd_(fd), written_(at), started_(at / window * window), dropped_(started_) {}

int write_behind::wrote(std::uint64_t n) noexcept {
    written_ += n;
    if (!active_ || written_ < threshold) {
        return 0;
    }
    const auto failed = [this](int err) {
        if (err == EINVAL || err == ENOSYS || err == ESPIPE || err == EOPNOTSUPP) {
            active_ = false;  // not a file system that takes these hints: nothing lost
            return 0;
        }
        return err;
    };
    const auto full = written_ / window * window;
    if (full > started_) {
        if (::sync_file_range(fd_, static_cast<off_t>(started_),
                              static_cast<off_t>(full - started_), SYNC_FILE_RANGE_WRITE)
            != 0) {
            return failed(errno);
        }
        started_ = full;
    }
    if (started_ >= dropped_ + kept + window) {
        const auto end = started_ - kept;
        const auto off = static_cast<off_t>(dropped_);
        const auto len = static_cast<off_t>(end - dropped_);
        if (::sync_file_range(
                fd_, off, len,
                SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER)
            != 0) {
            return failed(errno);
        }
        // Advice only: a page still busy is simply kept.
        ::posix_fadvise(fd_, off, len, POSIX_FADV_DONTNEED);
        dropped_ = end;
    }
    return 0;
}

}  // namespace oras::detail
