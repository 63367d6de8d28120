// Internal: SIGPIPE blocked in this thread while writing to a pipe or a socket that has no
// MSG_NOSIGNAL (a credential helper's stdin, sendfile(2) to a socket): a peer that closes must
// fail the write, not kill the process. A SIGPIPE raised meanwhile is consumed before the mask
// is restored. Hold one only across calls that do not suspend: the mask is the thread's.
#pragma once

#include <pthread.h>
#include <time.h>

#include <cerrno>
#include <csignal>

namespace oras::detail {

class sigpipe_guard {
  public:
    sigpipe_guard() {
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        blocked_ = ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_) == 0;
    }
    sigpipe_guard(const sigpipe_guard&) = delete;
    sigpipe_guard& operator=(const sigpipe_guard&) = delete;
    ~sigpipe_guard() {
        if (!blocked_) {
            return;
        }
        // Consumed whatever the call returned: sendfile(2) that sent some bytes before the
        // peer went returns that count, and its SIGPIPE is pending all the same.
        sigset_t pending;
        sigemptyset(&pending);
        if (!was_pending_ && sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t pipe_set;
            sigemptyset(&pipe_set);
            sigaddset(&pipe_set, SIGPIPE);
            const timespec zero{};
            while (::sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }

  private:
    sigset_t old_{};
    bool blocked_ = false;
    bool was_pending_ = false;
};

}  // namespace oras::detail
