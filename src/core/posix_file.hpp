// Internal: the one owner of a POSIX file descriptor, and read/write loops that retry EINTR.
//
// Every layer that opens files (byte sources over files, content stores, the tar extractor,
// credential helpers' pipes, the CLI's output files) uses these, so that closing, EINTR and short
// writes are handled one way. They report errno and leave the error's wording to the caller, which
// knows what the file is and which error code its own contract promises.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>

namespace oras::detail {

/// A file descriptor closed when it goes out of scope. Move-only.
class unique_fd {
  public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    ~unique_fd() { reset(); }
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) {
            reset(std::exchange(other.fd_, -1));
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;

    int get() const noexcept { return fd_; }
    explicit operator bool() const noexcept { return fd_ >= 0; }

    /// Closes the descriptor held (if any) and takes `fd`. close(2) is not retried on EINTR:
    /// Linux has released the descriptor whatever it returns.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = fd;
    }

    /// Gives the descriptor up without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }

    /// Closes now and returns what close(2) said (0 when nothing was held): on some file
    /// systems a deferred write error shows only here, so a writer checks it.
    int close() noexcept {
        const int fd = std::exchange(fd_, -1);
        return fd >= 0 ? ::close(fd) : 0;
    }

  private:
    int fd_ = -1;
};

/// read(2) retried on EINTR: the bytes read (0 at end of file), or -1 with errno set.
inline std::ptrdiff_t read_some(int fd, std::span<std::byte> buf) noexcept {
    for (;;) {
        const auto n = ::read(fd, buf.data(), buf.size());
        if (n >= 0 || errno != EINTR) {
            return n;
        }
    }
}

/// pread(2) at `offset` retried on EINTR: the bytes read (0 at end of file), or -1 with errno
/// set.
inline std::ptrdiff_t pread_some(int fd, std::span<std::byte> buf, std::uint64_t offset) noexcept {
    for (;;) {
        const auto n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(offset));
        if (n >= 0 || errno != EINTR) {
            return n;
        }
    }
}

/// Writes all of `data`, retrying EINTR and short writes: 0, or the errno that stopped it (EIO
/// for a write that made no progress without one).
inline int write_all(int fd, std::span<const std::byte> data) noexcept {
    while (!data.empty()) {
        const auto n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? errno : EIO;
        }
        data = data.subspan(static_cast<std::size_t>(n));
    }
    return 0;
}

/// pwrite(2) of all of `data` at `offset`, retrying EINTR and short writes: 0, or the errno that
/// stopped it (EIO for a write that made no progress without one).
inline int pwrite_all(int fd, std::span<const std::byte> data, std::uint64_t offset) noexcept {
    while (!data.empty()) {
        const auto n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? errno : EIO;
        }
        data = data.subspan(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return 0;
}

/// The mode open(2) gives a new file asked for 0666: `0666 & ~umask`. Files this library makes
/// with mkstemp (mode 0600) and renames into place get this mode, as the ORAS CLI's do. The
/// umask is read once per process, at the first call, from /proc/self/status: umask(2) can only
/// read it by setting it, for a moment, under the other threads' feet. Without /proc (a bare
/// chroot) an unnamed file is made with O_TMPFILE to see what mode it gets; umask(2) is the last
/// resort.
inline mode_t new_file_mode() noexcept {
    static const mode_t mode = [] {
        mode_t mask = 0;
        bool found = false;
        const int fd = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            char buf[4096];
            std::size_t len = 0;
            for (;;) {
                const auto n = read_some(
                    fd, std::as_writable_bytes(std::span(buf + len, sizeof buf - 1 - len)));
                if (n <= 0) {
                    break;
                }
                len += static_cast<std::size_t>(n);
            }
            ::close(fd);
            buf[len] = '\0';
            if (const char* line = std::strstr(buf, "\nUmask:")) {
                mode_t m = 0;
                const char* c = line + 7;
                while (*c == '\t' || *c == ' ') {
                    ++c;
                }
                for (; *c >= '0' && *c <= '7'; ++c) {
                    m = static_cast<mode_t>(m * 8 + static_cast<mode_t>(*c - '0'));
                    found = true;
                }
                mask = m;
            }
        }
        if (!found) {
            for (const char* dir : {"/tmp", "/dev/shm", "."}) {
                const int probe = ::open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
                struct stat st {};
                if (probe >= 0 && ::fstat(probe, &st) == 0) {
                    mask = static_cast<mode_t>(0666 & ~st.st_mode);
                    found = true;
                }
                if (probe >= 0) {
                    ::close(probe);
                }
                if (found) {
                    break;
                }
            }
        }
        if (!found) {
            mask = ::umask(0);
            ::umask(mask);
        }
        return static_cast<mode_t>(0666 & ~mask);
    }();
    return mode;
}

}  // namespace oras::detail
