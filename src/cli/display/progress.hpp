// Progress on a terminal: bars per blob, or a status line for a mirror.
#pragma once

#include <oras/ops/mirror.hpp>
#include <oras/ops/progress.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace oras::cli {

/// Draws a bar per blob in flight on a terminal (redrawn at most ten times a second; a blob
/// that ends leaves the bars and is printed once above them, as when the output is not a
/// terminal), or prints a line per finished blob when the output is not a terminal. Nothing in
/// JSON mode. Writes to `out` (stderr unless told).
class progress_display {
  public:
    progress_display(bool tty, bool text, std::string active_verb, std::string done_verb,
                     std::ostream& out = std::cerr);
    ~progress_display();
    progress_display(const progress_display&) = delete;
    progress_display& operator=(const progress_display&) = delete;
    ops::progress_fn callback();
    /// Draws the final state.
    void done();
    /// A status line of its own (`Uploading empty artifact`), printed where finished blobs are
    /// printed line by line (not on a terminal, not in JSON mode, as oras's text handler), just
    /// before the first blob's: once what is pushed is known, so never before an error that
    /// stops the command earlier (a subject not found).
    void note(std::string line);

    /// Bars drawn at most; the rest in flight are counted on one line.
    static constexpr std::size_t max_bars = 16;

  private:
    struct row {
        std::string name;
        std::uint64_t size = 0;
        std::uint64_t done = 0;
        std::uint64_t kept = 0;  // of `done`, what an earlier run left: not moved, not speed
        std::string state;
        bool live = false;   // among the bars
        bool ended = false;  // its final line was given
        std::chrono::steady_clock::time_point started{};
    };
    void on(const ops::progress_event& e);
    std::string key_of(const ops::progress_event& e);
    void redraw(bool force);
    std::string final_line(const row& r) const;
    std::string fit(std::string line) const;

    bool tty_;
    bool text_;
    std::string active_;
    std::string finished_;
    std::ostream& out_;
    std::string note_;                 // printed before the first event
    std::size_t columns_ = 0;          // the terminal's width, when known
    std::map<std::string, row> rows_;  // by key_of
    // The first digest seen under each name: a name seen again with another digest (the same
    // title in two platforms' manifests, copied by `cp`) is another blob and gets its own row.
    std::map<std::string, std::string> digest_of_name_;
    std::vector<std::string> live_;  // keys of the rows in flight, in order of appearance
    std::string ended_;              // final lines not printed yet (terminal)
    std::size_t drawn_ = 0;          // lines of bars (and total) below the cursor's row
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
/// A size as oras's `humanize.ToBytes` prints it (`fmt.Sprintf("%g %2s")`): units of 1024
/// named `B KB MB GB TB`, rounded to four digits at most (`7.5 KB`, `513 KB`, `512  B`).
std::string oras_size(std::uint64_t bytes);

}  // namespace oras::cli
