// Running helper programs from tests (htpasswd, the oras-cpp CLI, ...).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace oras::test {

struct process_result {
    /// Exit status when the program exited normally; -1 otherwise.
    int exit_code = -1;
    /// Terminating signal, 0 if it exited normally.
    int signal = 0;
    /// Killed because it ran longer than the timeout.
    bool timed_out = false;
    std::string out{};  // stdout
    std::string err{};  // stderr
};

/// Runs `argv` (argv[0] looked up in PATH when it has no '/') with `input` on stdin, capturing
/// stdout and stderr; kills it (SIGKILL) after `timeout`. The child gets PR_SET_PDEATHSIG.
/// Throws std::runtime_error if it cannot be started (e.g. not found).
process_result run_process(const std::vector<std::string>& argv, std::string_view input = {},
                           std::chrono::milliseconds timeout = std::chrono::seconds{60});

/// The absolute path of `name` found in PATH (or `name` itself if it contains '/' and is
/// executable); empty when not found.
std::string find_executable(std::string_view name);

/// Whether a process with this id exists (kill(pid, 0) does not fail with ESRCH).
bool process_exists(int pid);

}  // namespace oras::test
