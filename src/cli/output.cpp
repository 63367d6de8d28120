#include "cli/output.hpp"

#include <oras/diagnostics.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace oras::cli {

namespace json = boost::json;

namespace {

/// `text` with line breaks turned into spaces: one message, one line.
std::string one_line(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::replace(text.begin(), text.end(), '\r', ' ');
    return text;
}

}  // namespace

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

progress_display::progress_display(bool tty, bool text, std::string active_verb,
                                   std::string done_verb)
    : tty_(tty), text_(text), active_(std::move(active_verb)), finished_(std::move(done_verb)) {}

ops::progress_fn progress_display::callback() {
    if (!text_) {
        return {};
    }
    return [this](const ops::progress_event& e) { on(e); };
}

void progress_display::on(const ops::progress_event& e) {
    using kind = ops::progress_event::kind;
    const std::string key = e.name.empty() ? e.desc.digest.str() : e.name;
    auto [it, fresh] = rows_.try_emplace(key);
    auto& r = it->second;
    if (fresh) {
        order_.push_back(key);
        r.name = e.name.empty() ? e.desc.digest.str().substr(0, 19) : e.name;
        r.started = std::chrono::steady_clock::now();
    }
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
    const bool final_state = e.what != kind::started && e.what != kind::bytes;
    if (!tty_) {
        if (final_state) {
            std::cerr << r.state << std::string(12 - std::min<std::size_t>(r.state.size(), 11), ' ')
                      << display(r.name) << "  " << human_size(r.size) << "\n";
        }
        return;
    }
    redraw(final_state);
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
    for (const auto& key : order_) {
        const auto& r = rows_.at(key);
        constexpr int width = 24;
        const double frac = r.size == 0 ? (r.state == active_ ? 0.0 : 1.0)
                                        : static_cast<double>(r.done) / static_cast<double>(r.size);
        const int filled = static_cast<int>(frac * width);
        std::string bar = "[" + std::string(static_cast<std::size_t>(filled), '#')
                          + std::string(static_cast<std::size_t>(width - filled), ' ') + "]";
        const double secs = std::chrono::duration<double>(now - r.started).count();
        const std::string speed =
            r.state == active_ && secs > 0.05
                ? human_size(static_cast<std::uint64_t>(static_cast<double>(r.done) / secs)) + "/s"
                : "";
        char line[512];
        std::snprintf(line, sizeof line, "\x1b[2K%-11s %-32.32s %s %10s / %-10s %s\n",
                      r.state.c_str(), display(r.name, 64).c_str(), bar.c_str(),
                      human_size(r.done).c_str(), human_size(r.size).c_str(), speed.c_str());
        out += line;
    }
    const double secs = std::chrono::duration<double>(now - start_).count();
    char total[160];
    std::snprintf(total, sizeof total, "\x1b[2KTotal %s in %.1f s\n",
                  human_size(total_done_).c_str(), secs);
    out += total;
    drawn_ = order_.size() + 1;
    std::cerr << out << std::flush;
}

void progress_display::done() {
    if (tty_ && text_ && !order_.empty()) {
        redraw(true);
    }
}

namespace {

json::object descriptor_json(const descriptor& d) {
    json::object o;
    o["mediaType"] = d.media_type;
    o["digest"] = d.digest.str();
    o["size"] = d.size;
    if (!d.artifact_type.empty()) {
        o["artifactType"] = d.artifact_type;
    }
    if (!d.annotations.empty()) {
        json::object a;
        for (const auto& [k, v] : d.annotations) {
            a[k] = v;
        }
        o["annotations"] = std::move(a);
    }
    return o;
}

}  // namespace

void print_push(std::ostream& out, const std::string& format, const std::string& reference,
                const ops::push_result& r) {
    if (format == "json") {
        auto o = descriptor_json(r.manifest);
        o["reference"] = reference;
        json::array layers;
        for (const auto& l : r.layers) {
            layers.push_back(descriptor_json(l));
        }
        o["layers"] = std::move(layers);
        o["blobsUploaded"] = r.blobs_uploaded;
        out << json::serialize(o) << "\n";
        return;
    }
    out << "Pushed " << reference << "\n";
    if (!r.manifest.artifact_type.empty()) {
        out << "ArtifactType: " << r.manifest.artifact_type << "\n";
    }
    out << "Digest: " << r.manifest.digest.str() << "\n";
}

void print_pull(std::ostream& out, const std::string& format, const std::string& reference,
                const ops::pull_result& r) {
    if (format == "json") {
        auto o = descriptor_json(r.manifest);
        o["reference"] = reference;
        json::array files;
        for (const auto& f : r.files) {
            auto fo = descriptor_json(f.desc);
            fo["path"] = f.path.string();
            fo["unpacked"] = f.unpacked;
            files.push_back(std::move(fo));
        }
        o["files"] = std::move(files);
        o["skipped"] = r.skipped;
        out << json::serialize(o) << "\n";
        return;
    }
    out << "Pulled " << reference << "\n";
    out << "Digest: " << r.manifest.digest.str() << "\n";
}

void print_copy(std::ostream& out, const std::string& format, const std::string& from,
                const std::string& to, const ops::copy_result& r) {
    if (format == "json") {
        auto o = descriptor_json(r.root);
        o["from"] = from;
        o["to"] = to;
        json::array tags;
        for (const auto& t : r.tags) {
            tags.emplace_back(t);
        }
        o["tags"] = std::move(tags);
        o["nodes"] = r.nodes;
        o["copied"] = r.copied;
        o["skipped"] = r.skipped;
        o["mounted"] = r.mounted;
        o["bytesCopied"] = r.bytes_copied;
        o["bytesSkipped"] = r.bytes_skipped;
        o["referrers"] = r.referrers;
        out << json::serialize(o) << "\n";
        return;
    }
    out << "Copied " << from << " => " << to << "\n";
    out << "Digest: " << r.root.digest.str() << "\n";
}

std::string mirror_line(const ops::mirror_artifact& a) {
    std::string line;
    switch (a.action) {
        case ops::mirror_action::copied:
            line = "Copied  " + a.item.source + " => " + a.item.destination + "  "
                   + a.digest.substr(0, 19) + "  " + human_size(a.bytes);
            if (a.mounted > 0) {
                line += " (" + std::to_string(a.mounted) + " mounted)";
            }
            break;
        case ops::mirror_action::skipped:
            line = "Skipped " + a.item.source + " => " + a.item.destination + "  up to date";
            break;
        case ops::mirror_action::planned:
            line = "Planned " + a.item.source + " => " + a.item.destination + "  "
                   + a.digest.substr(0, 19);
            break;
        case ops::mirror_action::failed:
            line =
                "Failed  " + a.item.source + " => " + a.item.destination + ": " + one_line(a.error);
            break;
    }
    return display(line, 400);
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

void print_mirror(std::ostream& out, const std::string& format, const ops::mirror_result& r,
                  std::chrono::steady_clock::duration elapsed) {
    const double secs = std::chrono::duration<double>(elapsed).count();
    if (format == "json") {
        json::array artifacts;
        for (const auto& a : r.artifacts) {
            json::object o;
            o["source"] = a.item.source;
            o["destination"] = a.item.destination;
            o["action"] = std::string(to_string(a.action));
            if (!a.digest.empty()) {
                o["digest"] = a.digest;
            }
            o["bytes"] = a.bytes;
            o["blobsCopied"] = a.blobs_copied;
            o["mounted"] = a.mounted;
            if (a.action == ops::mirror_action::failed) {
                o["error"] = a.error;
            }
            artifacts.push_back(std::move(o));
        }
        json::object o;
        o["artifacts"] = std::move(artifacts);
        o["copied"] = r.copied;
        o["skipped"] = r.skipped;
        o["failed"] = r.failed;
        o["planned"] = r.planned;
        o["bytes"] = r.bytes;
        o["seconds"] = secs;
        out << json::serialize(o) << "\n";
        return;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f s", secs);
    out << "Mirrored " << r.artifacts.size()
        << (r.artifacts.size() == 1 ? " artifact: " : " artifacts: ") << r.copied << " copied, "
        << r.skipped << " up to date, " << r.failed << " failed";
    if (r.planned > 0) {
        out << ", " << r.planned << " to copy (dry run)";
    }
    out << "; " << human_size(r.bytes) << " in " << buf << "\n";
}

void print_error(std::ostream& out, const std::string& subject, const std::exception& e) {
    out << "Error: " << display(subject, 200) << ": " << one_line(e.what()) << "\n";
}

}  // namespace oras::cli
