// push: plan (validate every input before anything is sent), then copy the working directory,
// as a file store holding the layers, config and manifest, into the target.
#include <oras/content/file_store.hpp>
#include <oras/error.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/push.hpp>
#include <oras/reference.hpp>

#include "core/async/for_each_limited.hpp"
#include "core/descriptor_json.hpp"
#include "core/quote.hpp"
#include "ops/copy_context_state.hpp"
#include "ops/created.hpp"
#include "ops/emit.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <functional>
#include <set>
#include <unordered_set>

namespace oras::ops {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

constexpr std::string_view file_layer_type = "application/vnd.oci.image.layer.v1.tar";
constexpr std::string_view directory_layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";
constexpr std::string_view unknown_artifact = "application/vnd.unknown.artifact.v1";
constexpr std::string_view unknown_config = "application/vnd.unknown.config.v1+json";

struct planned {
    fs::path path;
    std::string given;  // the path as given: what annotation-file keys name, as oras looks them up
    std::string title;
    std::string media_type;
    bool directory = false;
    descriptor desc;
};

/// The title of a pushed path: relative to the working directory, in generic form.
std::string title_of(const fs::path& given, const push_options& o) {
    if (given.empty()) {
        throw error(errc::invalid_argument, "an empty file name was given");
    }
    std::error_code ec;
    const auto wd = fs::weakly_canonical(o.working_dir, ec);
    auto joined = (fs::absolute(o.working_dir, ec) / given).lexically_normal();
    if (joined.filename().empty()) {
        joined = joined.parent_path();  // `tree/`
    }
    // The directories on the way resolved (as the working directory is), the last name kept as
    // given: a symlink pushed is titled by its own name, as oras titles it, not its target's.
    auto abs = fs::weakly_canonical(joined.parent_path(), ec) / joined.filename();
    if (joined.filename() == "." || joined.filename() == "..") {
        abs = fs::weakly_canonical(joined, ec);
    }
    auto rel = abs.lexically_relative(wd);
    const bool outside = ec || rel.empty() || *rel.begin() == ".." || rel == ".";
    if (outside) {
        if (!o.disable_path_validation && !ec && rel == ".") {
            // oras titles it `.`, a title no pull (oras's without -T, this one's ever) writes.
            throw error(errc::invalid_argument,
                        quote(given.string()) + " is the working directory itself: name what is in "
                            "it, or use --disable-path-validation to push it as one directory "
                            "titled "
                            + quote(abs.filename().string()));
        }
        if (!o.disable_path_validation) {
            throw error(errc::invalid_argument,
                        quote(given.string()) + " is outside the working directory "
                            + quote(o.working_dir.string())
                            + " (use --disable-path-validation to push it by its file name)");
        }
        rel = abs.filename();
    }
    auto title = rel.generic_string();
    while (title.size() > 1 && title.back() == '/') {
        title.pop_back();
    }
    return title;
}

std::string now_rfc3339() {
    const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace

asio::awaitable<push_result> push(content::target& dst, push_options o) {
    // Plan: everything that can be wrong with the inputs is found before a byte is sent.
    std::vector<planned> layers;
    std::set<std::string, std::less<>> titles;
    for (const auto& f : o.files) {
        std::error_code ec;
        const auto full = f.path.is_absolute() ? f.path : o.working_dir / f.path;
        const auto st = fs::symlink_status(full, ec);
        if (ec || !fs::exists(st)) {
            throw error(errc::invalid_argument, quote(f.path.string()) + " does not exist");
        }
        planned p;
        p.path = full;
        p.given = f.path.string();
        p.directory = fs::is_directory(fs::status(full, ec));
        if (!p.directory && !fs::is_regular_file(fs::status(full, ec))) {
            throw error(errc::invalid_argument,
                        quote(f.path.string()) + " is neither a regular file nor a directory");
        }
        p.title = title_of(f.path, o);
        if (!titles.insert(p.title).second) {
            throw error(errc::invalid_argument, "two files would both be titled " + quote(p.title));
        }
        p.media_type = !f.media_type.empty() ? f.media_type
                       : p.directory         ? std::string(directory_layer_type)
                                             : std::string(file_layer_type);
        if (!media_type::is_valid(p.media_type)) {
            throw error(errc::invalid_media_type,
                        quote(p.media_type) + " (for " + quote(p.title) + ") is not a media type");
        }
        layers.push_back(std::move(p));
    }
    // As oras, a file's annotations are those of the name it was given by (annotations[filename]
    // in oras), and keys naming no file given are passed over, not refused.
    std::vector<std::string> unused_keys;
    for (const auto& entry : o.annotations) {
        const auto& key = entry.first;  // a name, not a binding: clang 14 captures no bindings
        if (key != "$manifest" && key != "$config"
            && std::none_of(layers.begin(), layers.end(),
                            [&key](const planned& l) { return l.given == key; })) {
            unused_keys.push_back(key);
        }
    }
    if (o.artifact_platform && o.config) {
        throw error(errc::invalid_argument,
                    "an artifact platform and a config file cannot both be given: the platform "
                    "is written as the config");
    }
    if (o.artifact_platform && o.version == manifest_version::v1_0 && !o.artifact_type.empty()) {
        throw error(errc::invalid_argument,
                    "the artifact type cannot be set for an OCI image-spec v1.0 manifest when the "
                    "platform is: use v1.1, or no artifact type");
    }
    if (!o.artifact_type.empty() && !media_type::is_valid(o.artifact_type)) {
        throw error(errc::invalid_media_type,
                    quote(o.artifact_type) + " is not a valid artifact type");
    }
    for (const auto& t : o.tags) {
        if (auto v = dst.check_tag(t); !v) {
            throw error(v.error());
        }
    }
    detail::check_created(o.annotations);
    const auto annotations_for = [&](std::string_view key) {
        const auto it = o.annotations.find(key);
        return it == o.annotations.end() ? annotations{} : it->second;
    };

    push_result out;
    out.unused_annotation_keys = std::move(unused_keys);
    // Config checks first: nothing is sent for a push that would fail on its config.
    fs::path config_path;
    std::string config_type;
    if (o.config) {
        config_type = o.config->media_type;
        if (config_type.empty()) {
            config_type = o.version == manifest_version::v1_0 && !o.artifact_type.empty()
                              ? o.artifact_type
                              : std::string(unknown_config);
        }
        if (!media_type::is_valid(config_type)) {
            throw error(errc::invalid_media_type,
                        quote(config_type) + " (for the config) is not a media type");
        }
        config_path =
            o.config->path.is_absolute() ? o.config->path : o.working_dir / o.config->path;
        std::error_code ec;
        if (!fs::is_regular_file(config_path, ec)) {
            throw error(errc::invalid_argument,
                        "the config " + quote(o.config->path.string()) + " is not a file");
        }
    }

    // The working directory as a store: each file hashed (a large one the tree cache knows
    // described from its metadata); each directory the tree cache does not know archived once,
    // streamed into `dst` as it is produced (its digest is known only at the end, so it cannot be
    // looked up first), the others described from the cache; the config and the manifest beside
    // them in memory.
    //
    // Layers are taken `concurrency` at a time, and each is sent (when `dst` lacks it) as soon
    // as it is described: hashing one file overlaps sending the others, where hashing them all
    // first left the registry idle meanwhile. The push ends with a graph copy from the store
    // into `dst` for the config and the manifest; the context tells it the layers are there.
    content::file_store files(o.working_dir,
                              {.disable_path_validation = true, .tree_cache = o.tree_cache});
    auto context = std::make_shared<copy_context>(std::max<std::size_t>(1, o.concurrency));
    std::unordered_set<digest> handled;  // their `exists` from the copy is no news
    std::function<asio::awaitable<void>(std::size_t)> add_layer =
        [&](std::size_t i) -> asio::awaitable<void> {
        auto& p = layers[i];
        descriptor shown;
        shown.media_type = p.media_type;
        shown.annotations[std::string(annotation::title)] = p.title;
        std::function<byte_source(byte_source)> watch;
        if (o.progress) {
            watch = [&o, shown, name = p.title](byte_source r) {
                detail::emit(o.progress, progress_event::kind::started, shown, name);
                return detail::counted(std::move(r), o.progress, shown, name);
            };
        }
        auto added = co_await files.add_to(p.title, p.path, p.media_type, dst, std::move(watch));
        p.desc = std::move(added.desc);
        for (const auto& [k, v] : annotations_for(p.given)) {
            p.desc.annotations[k] = v;
        }
        // The same content under several titles is checked and sent once, as the copy did.
        if (!handled.insert(p.desc.digest).second && !added.sent) {
            co_return;
        }
        if (added.sent) {
            ++out.blobs_uploaded;
        } else {
            // Asked and, when missing, sent: one request fewer where the target can (a small
            // blob to a registry).
            content::opener open = [&files, &o, &p]() -> asio::awaitable<byte_source> {
                detail::emit(o.progress, progress_event::kind::started, p.desc, p.title);
                auto reader = co_await files.open(p.desc);
                co_return detail::counted(std::move(reader), o.progress, p.desc, p.title);
            };
            bool present = false;
            std::exception_ptr failed;
            try {
                present = co_await dst.push_unless_present(p.desc, std::move(open));
            } catch (...) {
                failed = std::current_exception();
            }
            if (failed) {
                // A digest from the tree cache may be what failed (a registry need not say
                // DIGEST_INVALID when the bytes are not it): forgotten whatever the failure but
                // a cancellation, so that the next push reads the file. That costs one hash.
                if (is_cancelled(failed) || !files.forget_cached_digest(p.desc)) {
                    std::rethrow_exception(failed);
                }
                try {
                    std::rethrow_exception(failed);
                } catch (const error& e) {
                    if (e.code() != errc::digest_mismatch) {
                        throw;
                    }
                    std::string what = e.what();
                    // Its message (with the request's summary) kept whole, less the code's
                    // text, which the new error adds again.
                    if (const auto suffix = ": " + e.code().message(); what.ends_with(suffix)) {
                        what.resize(what.size() - suffix.size());
                    }
                    throw error(e.code(),
                                quote(p.title)
                                    + " was described by the tree cache from metadata its last "
                                      "change did not alter; the entry is forgotten, push again: "
                                    + what);
                }
            }
            if (present) {
                detail::emit(o.progress, progress_event::kind::exists, p.desc, p.title);
                context->state().record(&dst, p.desc.digest);
                co_return;
            }
            ++out.blobs_uploaded;
        }
        detail::emit(o.progress, progress_event::kind::finished, p.desc, p.title,
                     static_cast<std::uint64_t>(p.desc.size));
        context->state().record(&dst, p.desc.digest);
    };
    co_await oras::detail::for_each_limited(layers.size(), o.concurrency, add_layer);

    descriptor config;
    if (o.config) {
        // Read once: hashed as the store takes it in.
        std::error_code ec;
        const auto size = fs::file_size(config_path, ec);
        if (ec) {
            throw error(
                errc::invalid_argument,
                "cannot read the config " + quote(config_path.string()) + ": " + ec.message());
        }
        auto reader = byte_source::from_file(config_path, 0, size);
        config = co_await files.push_unknown(config_type, std::move(reader));
    } else if (o.artifact_platform) {
        oras::detail::json_writer w;
        oras::detail::write_platform(w, *o.artifact_platform);
        const auto bytes = w.take();
        config.media_type = std::string(media_type::image_config);
        config.digest = digest::of(bytes);
        config.size = static_cast<std::int64_t>(bytes.size());
        auto body = byte_source::from_string(bytes);
        co_await files.push(config, std::move(body));
    } else {
        config = empty_json_descriptor();
        if (o.version == manifest_version::v1_0) {
            config.media_type =
                o.artifact_type.empty() ? std::string(unknown_config) : o.artifact_type;
            config.data.reset();
        }
        co_await files.push(config, byte_source::from_string("{}"));
    }
    for (const auto& [k, v] : annotations_for("$config")) {
        config.annotations[k] = v;
    }

    image_manifest m;
    m.media_type = std::string(media_type::image_manifest);
    m.config = config;
    if (o.version == manifest_version::v1_1) {
        m.artifact_type = !o.artifact_type.empty() ? o.artifact_type
                          : o.config               ? std::string{}
                                                   : std::string(unknown_artifact);
    }
    for (const auto& p : layers) {
        m.layers.push_back(p.desc);
        out.layers.push_back(p.desc);
    }
    if (m.layers.empty() && o.version == manifest_version::v1_1) {
        // image-spec 1.1 asks for at least one layer, with the empty descriptor when there is no
        // content; oras packs an artifact of no files so, and the same input gives the same
        // manifest.
        const auto empty = empty_json_descriptor();
        if (config.digest != empty.digest) {
            co_await files.push(empty, byte_source::from_string("{}"));
        }
        m.layers.push_back(empty);
    }
    if (o.subject) {
        m.subject = descriptor{};
        m.subject->media_type = o.subject->media_type;
        m.subject->digest = o.subject->digest;
        m.subject->size = o.subject->size;
    }
    m.annotations = annotations_for("$manifest");
    if (o.created_annotation && !m.annotations.contains(annotation::created)) {
        m.annotations[std::string(annotation::created)] = now_rfc3339();
    }
    out.manifest_bytes = m.serialize();
    out.manifest.media_type = m.media_type;
    out.manifest.digest = digest::of(out.manifest_bytes);
    out.manifest.size = static_cast<std::int64_t>(out.manifest_bytes.size());
    // As oras-go reports a pack: a v1.0 manifest's artifact type is its config's media type.
    out.manifest.artifact_type =
        o.version == manifest_version::v1_0 ? m.config.media_type : m.artifact_type;
    co_await files.push(out.manifest, byte_source::from_string(out.manifest_bytes));

    copy_options co;
    co.tags = o.tags;
    co.concurrency = o.concurrency;
    co.traverse_existing = o.traverse_existing;
    co.context = context;
    if (o.progress) {
        // A layer sent or found above is there now: the copy's finding it is no news.
        co.progress = [&o, &handled](const progress_event& e) {
            if (e.what != progress_event::kind::exists || !handled.contains(e.desc.digest)) {
                o.progress(e);
            }
        };
    }
    co.name = [config_digest = config.digest,
               manifest_digest = out.manifest.digest](const descriptor& d) -> std::string {
        if (d.digest == manifest_digest) {
            return "$manifest";
        }
        const auto title = d.annotation(annotation::title);
        return !title.empty() || d.digest != config_digest ? std::string(title) : "$config";
    };
    const auto copied = co_await copy_graph(files, out.manifest, dst, std::move(co));
    out.blobs_uploaded += copied.blobs_copied;
    out.archive_passes = files.archive_passes();
    out.files_hashed = files.files_hashed();
    co_return out;
}

namespace detail {

namespace {

/// Whether `s` is a date and time as Go's time.Parse(time.RFC3339, s) takes one, which oras-go
/// asks of a manifest's `created` annotation: `2006-01-02T15:04:05Z`, with optional fractional
/// seconds (`.` or `,`) and `Z` or a `+hh:mm`/`-hh:mm` offset, every field in its range.
bool is_rfc3339(std::string_view s) {
    const auto number = [&s](std::size_t at, std::size_t n, int& out) {
        if (at + n > s.size()) {
            return false;
        }
        out = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') {
                return false;
            }
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!number(0, 4, year) || s.size() < 20 || s[4] != '-' || !number(5, 2, month) || s[7] != '-'
        || !number(8, 2, day) || s[10] != 'T' || !number(11, 2, hour) || s[13] != ':'
        || !number(14, 2, minute) || s[16] != ':' || !number(17, 2, second)) {
        return false;
    }
    std::size_t at = 19;
    if (s[at] == '.' || s[at] == ',') {
        const auto start = ++at;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
            ++at;
        }
        if (at == start) {
            return false;
        }
    }
    if (at < s.size() && s[at] == 'Z') {
        ++at;
    } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
        int oh = 0, om = 0;
        // Go takes an offset up to 24:60 (its parser checks no more).
        if (!number(at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':'
            || !number(at + 4, 2, om) || oh > 24 || om > 60) {
            return false;
        }
        at += 6;
    } else {
        return false;
    }
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    const int days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return at == s.size() && month >= 1 && month <= 12 && day >= 1 && day <= days[month - 1]
           && hour < 24 && minute < 60 && second < 60;
}

}  // namespace

void check_created(const annotation_map& annotations) {
    const auto m = annotations.find("$manifest");
    if (m == annotations.end()) {
        return;
    }
    if (const auto c = m->second.find(std::string(annotation::created));
        c != m->second.end() && !is_rfc3339(c->second)) {
        throw error(errc::invalid_argument,
                    "invalid date and time format: the annotation "
                        + std::string(annotation::created) + " is " + quote(c->second)
                        + ", not an RFC 3339 date and time such as 2006-01-02T15:04:05Z");
    }
}

}  // namespace detail

}  // namespace oras::ops
