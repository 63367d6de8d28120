// Results: what each command prints when it succeeds (text or JSON) and the one error line.
#include "cli/display/results.hpp"
#include "cli/display/json.hpp"
#include "cli/display/progress.hpp"

#include <oras/diagnostics.hpp>
#include <oras/image_manifest.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <cstdio>

namespace oras::cli {

namespace json = boost::json;

std::string one_line(std::string text) {
    std::replace(text.begin(), text.end(), '\n', ' ');
    std::replace(text.begin(), text.end(), '\r', ' ');
    return text;
}

void print_push(std::ostream& out, const std::string& format, const std::string& shown,
                const std::string& path, const std::vector<std::string>& tags,
                const ops::push_result& r) {
    if (format == "json") {
        // oras's fields (model/push.go): `reference` by digest, the manifest's annotations,
        // `referenceAsTags`; then this tool's own.
        auto manifest = r.manifest;
        if (auto m = image_manifest::parse(r.manifest_bytes)) {
            manifest.annotations = std::move(m->annotations);
        }
        auto o = reference_json(path + "@" + manifest.digest.str(), manifest);
        // Sorted, as oras's model sorts them.
        auto sorted = tags;
        std::sort(sorted.begin(), sorted.end());
        json::array as_tags;
        for (const auto& t : sorted) {
            as_tags.emplace_back(path + ":" + t);
        }
        o["referenceAsTags"] = std::move(as_tags);
        json::array layers;
        for (const auto& l : r.layers) {
            layers.push_back(descriptor_json(l));
        }
        o["layers"] = std::move(layers);
        o["blobsUploaded"] = r.blobs_uploaded;
        out << pretty(o);
        return;
    }
    // As oras: the first tag with the push, then a line per further tag.
    out << "Pushed " << shown << "\n";
    for (std::size_t i = 1; i < tags.size(); ++i) {
        out << "Tagged " << tags[i] << "\n";
    }
    if (!r.manifest.artifact_type.empty()) {
        out << "ArtifactType: " << r.manifest.artifact_type << "\n";
    }
    out << "Digest: " << r.manifest.digest.str() << "\n";
}

void print_pull(std::ostream& out, const std::string& format, const std::string& shown,
                const std::string& reference, const std::string& path, const ops::pull_result& r) {
    if (format == "json") {
        // oras's fields (model/pull.go): `reference` by digest; per file its absolute path (a
        // directory's with a trailing separator) and its descriptor by digest reference.
        auto o = reference_json(path + "@" + r.manifest.digest.str(), r.manifest);
        json::array files;
        for (const auto& f : r.files) {
            json::object fo;
            fo["path"] = f.path.string() + (f.unpacked ? "/" : "");  // first, as oras's File
            for (auto& [k, v] : reference_json(path + "@" + f.desc.digest.str(), f.desc)) {
                fo[k] = std::move(v);
            }
            fo["unpacked"] = f.unpacked;
            files.push_back(std::move(fo));
        }
        // None is Go's nil slice: null, as oras prints it.
        o["files"] = files.empty() ? json::value(nullptr) : json::value(std::move(files));
        o["skipped"] = r.skipped;
        out << pretty(o);
        return;
    }
    if (r.untitled > 0 || r.untitled_nodes > 0) {
        // oras's words, with this tool's command.
        out << "Skipped pulling layers without file name in \"org.opencontainers.image.title\"\n"
            << "Use 'oras-cpp cp " << reference
            << " --to-oci-layout <layout-dir>' to pull all layers.\n";
        return;
    }
    out << "Pulled " << shown << "\n";
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
        out << compact(o) << "\n";
        return;
    }
    // As oras: the destination with its first tag, then a line per further tag.
    const auto slash = to.rfind('/');
    out << "Copied " << from << " => "
        << to.substr(0, to.find(',', slash == std::string::npos ? 0 : slash)) << "\n";
    for (std::size_t i = 1; i < r.tags.size(); ++i) {
        out << "Tagged " << r.tags[i] << "\n";
    }
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
            line = "Failed  " + a.item.source + " => " + a.item.destination + ": "
                   + one_line(a.error) + (a.transient ? " (transient)" : "");
            break;
    }
    return display(line, 400);
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
                o["transient"] = a.transient;
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
        out << compact(o) << "\n";
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

void print_pushed_item(std::ostream& out, const descriptor& d, bool existed) {
    const auto text = d.digest.str();
    const auto item = text.substr(text.find(':') + 1, 12) + " " + d.media_type + "\n";
    if (existed) {
        out << "Exists    " << item;
    } else {
        out << "Uploading " << item << "Uploaded  " << item;
    }
}

void print_error(std::ostream& out, const std::string& subject, const std::exception& e,
                 bool transient) {
    out << "Error: " << display(subject, 200) << ": " << one_line(e.what())
        << (transient ? " (transient: the same command may succeed later)" : "") << "\n";
}

}  // namespace oras::cli
