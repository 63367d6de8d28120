// The CLI's output: progress on a terminal, results as text or JSON, one-line errors.
#pragma once

#include <oras/ops/copy.hpp>
#include <oras/ops/mirror.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>

#include <chrono>
#include <exception>
#include <map>
#include <ostream>
#include <string>

namespace oras::cli {

/// Draws a bar per blob on a terminal (redrawn at most ten times a second), or prints a line
/// per finished blob when the output is not a terminal. Nothing in JSON mode.
class progress_display {
  public:
    progress_display(bool tty, bool text, std::string active_verb, std::string done_verb);
    ops::progress_fn callback();
    /// Draws the final state.
    void done();

  private:
    struct row {
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t done = 0;
        std::string state;
        std::chrono::steady_clock::time_point started{};
    };
    void on(const ops::progress_event& e);
    void redraw(bool force);

    bool tty_;
    bool text_;
    std::string active_;
    std::string finished_;
    std::map<std::string, row> rows_;  // by digest or name
    std::vector<std::string> order_;
    std::size_t drawn_ = 0;
    std::chrono::steady_clock::time_point last_draw_{};
    std::uint64_t total_done_ = 0;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

/// The progress of a mirror. On a terminal: one status line (artifacts done/total, bytes, rate)
/// redrawn at most ten times a second, with failures printed above it as they happen; otherwise
/// one line per artifact as it ends (to `out`). Nothing in JSON mode.
class mirror_display {
  public:
    mirror_display(std::ostream& out, bool tty, bool text);
    ops::mirror_options& attach(ops::mirror_options& o);
    void done();

  private:
    void redraw(bool force);

    std::ostream& out_;
    bool tty_;
    bool text_;
    std::size_t total_ = 0;
    std::size_t finished_ = 0;
    std::size_t failed_ = 0;
    std::uint64_t bytes_ = 0;
    std::map<std::string, std::uint64_t> in_flight_;  // bytes done per blob being moved
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_draw_{};
    bool line_drawn_ = false;
};

std::string human_size(std::uint64_t bytes);

/// The per-artifact report: a JSON object (`artifacts`, counts), or a summary line in text.
void print_mirror(std::ostream& out, const std::string& format, const ops::mirror_result& r,
                  std::chrono::steady_clock::duration elapsed);
/// The line a mirror prints for one artifact.
std::string mirror_line(const ops::mirror_artifact& a);

void print_push(std::ostream& out, const std::string& format, const std::string& reference,
                const ops::push_result& r);
void print_pull(std::ostream& out, const std::string& format, const std::string& reference,
                const ops::pull_result& r);
void print_copy(std::ostream& out, const std::string& format, const std::string& from,
                const std::string& to, const ops::copy_result& r);
/// `Error: <subject>: <cause>` on one line.
void print_error(std::ostream& out, const std::string& subject, const std::exception& e);

}  // namespace oras::cli
