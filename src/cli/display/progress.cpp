// Progress: bars on a terminal, one line per finished blob or artifact otherwise.
#include "cli/display/progress.hpp"
#include "cli/display/results.hpp"

#include <oras/diagnostics.hpp>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

namespace oras::cli {

std::string human_size(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    std::size_t u = 0;
    while (v >= 1024 && u + 1 < std::size(units)) {
        v /= 1024;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string oras_size(std::uint64_t bytes) {
    const char* units[] = {"B", "KB", "MB", "GB", "TB"};
    const auto f = static_cast<double>(bytes);
    double size = f;
    std::size_t e = 0;
    if (f >= 1024) {
        // As Go computes it, floor(log(f) / log(1024)), capped at TB.
        e = std::min<std::size_t>(
            static_cast<std::size_t>(std::floor(std::log(f) / std::log(1024.0))),
            std::size(units) - 1);
        const auto p = f / std::pow(1024.0, static_cast<double>(e));
        size = p < 10    ? std::round(p * 100) / 100
               : p < 100 ? std::round(p * 10) / 10
                         : std::round(p);
    }
    // %g of a value with at most two decimals: fixed, trailing zeros dropped.
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.2f", size);
    std::string text = buf;
    while (text.back() == '0') {
        text.pop_back();
    }
    if (text.back() == '.') {
        text.pop_back();
    }
    std::snprintf(buf, sizeof buf, " %2s", units[e]);
    return text + buf;
}

progress_display::progress_display(bool tty, bool text, std::string active_verb,
                                   std::string done_verb, std::ostream& out)
    : tty_(tty),
      text_(text),
      active_(std::move(active_verb)),
      finished_(std::move(done_verb)),
      out_(out) {
    winsize ws{};
    if (tty_ && &out == &std::cerr && ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0) {
        columns_ = ws.ws_col;
    }
}

ops::progress_fn progress_display::callback() {
    if (!text_) {
        return {};
    }
    return [this](const ops::progress_event& e) { on(e); };
}

std::string progress_display::final_line(const row& r) const {
    return r.state + std::string(12 - std::min<std::size_t>(r.state.size(), 11), ' ')
           + display(r.name) + "  " + human_size(r.size) + "\n";
}

std::string progress_display::key_of(const ops::progress_event& e) {
    const auto& digest = e.desc.digest.str();
    if (e.name.empty()) {
        return digest;
    }
    // A push names a file before its digest is known: a name's first digest keeps its row.
    if (digest.empty()) {
        return e.name;
    }
    auto& first = digest_of_name_[e.name];
    if (first.empty()) {
        first = digest;
    }
    return first == digest ? e.name : e.name + '\n' + digest;
}

void progress_display::on(const ops::progress_event& e) {
    using kind = ops::progress_event::kind;
    if (!note_.empty()) {
        out_ << note_ << std::flush;  // one write: stderr is unbuffered
        note_.clear();
    }
    const std::string key = key_of(e);
    auto [it, fresh] = rows_.try_emplace(key);
    auto& r = it->second;
    if (fresh) {
        r.name = e.name.empty() ? e.desc.digest.str().substr(0, 19) : e.name;
        r.started = std::chrono::steady_clock::now();
    }
    const bool final_state =
        e.what != kind::started && e.what != kind::bytes && e.what != kind::resumed;
    if (final_state && r.ended) {
        return;  // said already (a blob found to exist after it was sent, a title twice)
    }
    r.ended = final_state;
    if (e.desc.size > 0) {
        r.size = static_cast<std::uint64_t>(e.desc.size);
    }
    switch (e.what) {
        case kind::started:
            r.state = active_;
            break;
        case kind::bytes:
            total_done_ += e.done > r.done ? e.done - r.done : 0;
            r.done = e.done;
            r.state = active_;
            break;
        case kind::resumed:
            r.done = e.done;
            r.kept = e.done;
            r.state = active_;
            break;
        case kind::finished:
            r.state = finished_;
            r.done = r.size;
            break;
        case kind::exists:
            r.state = "Exists";
            r.done = r.size;  // nothing to move: the bar is full, the total unchanged
            break;
        case kind::skipped:
            r.state = "Skipped";
            break;
        case kind::mounted:
            r.state = "Mounted";
            r.done = r.size;
            break;
    }
    if (!tty_) {
        if (final_state) {
            out_ << final_line(r);  // one write per line: stderr is unbuffered
        }
        return;
    }
    // On a terminal only what is in flight has a bar: a pull of 1,000 files redrew 1,000 bars
    // for each file that ended.
    if (final_state) {
        if (r.live) {
            r.live = false;
            live_.erase(std::find(live_.begin(), live_.end(), key));
        }
        ended_ += final_line(r);
    } else if (!r.live) {
        r.live = true;
        live_.push_back(key);
    }
    redraw(false);
}

void progress_display::redraw(bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_draw_ = now;
    std::string out;
    if (drawn_ != 0) {
        out += "\x1b[" + std::to_string(drawn_) + "F";  // back to the first row drawn
    }
    // What ended since the last draw, once, where the bars were: it scrolls up from there.
    for (std::size_t at = 0; at < ended_.size();) {
        const auto nl = ended_.find('\n', at);
        out += "\x1b[2K" + ended_.substr(at, nl + 1 - at);
        at = nl + 1;
    }
    ended_.clear();
    std::size_t lines = 0;
    for (const auto& key : live_) {
        if (lines == max_bars) {
            break;
        }
        const auto& r = rows_.at(key);
        constexpr int width = 24;
        const double frac =
            r.size == 0 ? 0.0 : static_cast<double>(r.done) / static_cast<double>(r.size);
        const int filled = static_cast<int>(std::min(frac, 1.0) * width);
        std::string bar = "[" + std::string(static_cast<std::size_t>(filled), '#')
                          + std::string(static_cast<std::size_t>(width - filled), ' ') + "]";
        const double secs = std::chrono::duration<double>(now - r.started).count();
        const auto moved = r.done > r.kept ? r.done - r.kept : 0;
        const std::string speed =
            secs > 0.05
                ? human_size(static_cast<std::uint64_t>(static_cast<double>(moved) / secs)) + "/s"
                : "";
        char line[512];
        std::snprintf(line, sizeof line, "\x1b[2K%-11s %-32.32s %s %10s / %-10s %s\n",
                      r.state.c_str(), display(r.name, 64).c_str(), bar.c_str(),
                      human_size(r.done).c_str(), human_size(r.size).c_str(), speed.c_str());
        out += fit(line);
        ++lines;
    }
    if (live_.size() > lines) {
        out += fit("\x1b[2K... and " + std::to_string(live_.size() - lines) + " more in flight\n");
        ++lines;
    }
    const double secs = std::chrono::duration<double>(now - start_).count();
    char total[160];
    std::snprintf(total, sizeof total, "\x1b[2KTotal %s in %.1f s\n",
                  human_size(total_done_).c_str(), secs);
    out += fit(total);
    out += "\x1b[J";  // what a taller draw left below
    drawn_ = lines + 1;
    out_ << out << std::flush;
}

std::string progress_display::fit(std::string line) const {
    // A line that wraps takes two rows, and the cursor would go back too few: cut to the width
    // (bytes, never inside a UTF-8 sequence; the escape that starts it takes no column).
    constexpr std::size_t escape = 4;  // "\x1b[2K"
    if (columns_ == 0 || line.size() <= escape + columns_) {
        return line;
    }
    auto cut = escape + columns_ - 1;
    while (cut > escape && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    line.resize(cut);
    return line + "\n";
}

progress_display::~progress_display() {
    // Blobs that ended just before a failure or an interrupt are said too (done() is called
    // only after a success).
    if (tty_ && text_ && !ended_.empty()) {
        try {
            redraw(true);
        } catch (...) {
        }
    }
}

void progress_display::note(std::string line) {
    if (text_ && !tty_) {
        note_ = std::move(line) + "\n";
    }
}

void progress_display::done() {
    if (tty_ && text_ && !rows_.empty()) {
        redraw(true);
    }
}

mirror_display::mirror_display(std::ostream& out, bool tty, bool text)
    : out_(out), tty_(tty), text_(text) {}

ops::mirror_options& mirror_display::attach(ops::mirror_options& o) {
    if (!text_) {
        return o;
    }
    o.on_planned = [this](std::size_t n) {
        total_ = n;
        redraw(true);
    };
    o.on_artifact = [this](const ops::mirror_artifact& a) {
        ++finished_;
        if (a.action == ops::mirror_action::failed) {
            ++failed_;
        }
        if (tty_) {
            if (a.action == ops::mirror_action::failed) {
                if (line_drawn_) {
                    std::cerr << "\r\033[K";
                    line_drawn_ = false;
                }
                std::cerr << mirror_line(a) << "\n";
            }
            redraw(false);
        } else {
            out_ << mirror_line(a) << "\n" << std::flush;
        }
    };
    if (tty_) {
        o.progress = [this](const ops::progress_event& e) {
            using kind = ops::progress_event::kind;
            const auto key = e.desc.digest.str();
            if (e.what == kind::bytes) {
                auto& done = in_flight_[key];
                bytes_ += e.done > done ? e.done - done : 0;
                done = e.done;
                redraw(false);
            } else if (e.what == kind::resumed) {
                in_flight_[key] = e.done;  // kept from an earlier run: not moved now
            } else if (e.what == kind::finished) {
                in_flight_.erase(key);
            }
        };
    }
    return o;
}

void mirror_display::redraw(bool force) {
    if (!tty_ || !text_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(100)) {
        return;
    }
    last_draw_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const auto rate = secs > 0 ? static_cast<std::uint64_t>(static_cast<double>(bytes_) / secs) : 0;
    char buf[200];
    std::snprintf(buf, sizeof buf, "Mirroring  %zu/%zu artifacts  %zu failed  %s  %s/s", finished_,
                  total_, failed_, human_size(bytes_).c_str(), human_size(rate).c_str());
    std::cerr << "\r\033[K" << buf << std::flush;
    line_drawn_ = true;
}

void mirror_display::done() {
    if (tty_ && text_) {
        redraw(true);
        std::cerr << "\n";
    }
}

}  // namespace oras::cli
