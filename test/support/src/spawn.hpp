// Internal: fork/exec with the safety measures every test child needs.
#pragma once

#include <string>
#include <vector>

namespace oras::test::detail {

struct spawn_spec {
    std::string exe;                // absolute path of the executable
    std::vector<std::string> argv;  // argv[0] included
    int stdin_fd = -1;              // -1: /dev/null
    int stdout_fd = -1;             // -1: /dev/null
    int stderr_fd = -1;             // -1: /dev/null
    /// Environment variables whose names start with one of these are not passed on.
    std::vector<std::string> drop_env_prefixes;
};

/// Starts the child in its own process group with PR_SET_PDEATHSIG(SIGKILL) (and exits at once
/// if the parent already died), default SIGPIPE/SIGTERM dispositions, an empty signal mask and
/// no file descriptors besides 0-2. Returns its pid; throws std::system_error if fork or exec
/// fails (an exec failure is reported back through a close-on-exec pipe).
int spawn(const spawn_spec& spec);

/// Waits for `pid` to exit for up to `timeout_ms` (polling waitpid). Returns true and stores
/// the wait status if it was reaped (or was already gone: status 0).
bool wait_for_exit(int pid, int timeout_ms, int* status);

/// SIGTERM to the process group, wait up to `grace_ms`, then SIGKILL and reap. Returns the
/// wait status.
int terminate(int pid, int grace_ms);

}  // namespace oras::test::detail
