// pull: resolve, read the manifest (through an index if need be), then write titled layers
// safely under the output directory with bounded concurrency.
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/pull.hpp>

#include "content/archive.hpp"
#include "core/quote.hpp"
#include "ops/concurrency.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

namespace oras::ops {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::detail::quote;

namespace {

constexpr unsigned max_index_depth = 4;

/// Where a title lands under `root` (canonical), refusing anything that could leave it:
/// absolute names, `..`, and paths that pass through a symlink.
fs::path destination(const fs::path& root, const std::string& title) {
    const auto refuse = [&](const std::string& why) {
        return error(errc::invalid_argument,
                     "refusing the layer title " + quote(title) + ": " + why);
    };
    if (title.empty()) {
        throw refuse("it is empty");
    }
    if (title.find('\0') != std::string::npos || title.find('\\') != std::string::npos) {
        throw refuse("it holds a NUL or a backslash");
    }
    const fs::path t(title);
    if (t.is_absolute() || t.has_root_name() || t.has_root_directory()) {
        throw refuse("it is an absolute path");
    }
    fs::path dest = root;
    for (const auto& part : t) {
        if (part == "..") {
            throw refuse("it climbs out of the output directory");
        }
        if (part == "." || part.empty()) {
            continue;
        }
        dest /= part;
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(dest, ec))) {
            throw refuse("it goes through the symlink " + quote(dest.string()));
        }
    }
    if (dest == root) {
        throw refuse("it names the output directory itself");
    }
    return dest;
}

/// A file written beside its destination and renamed over it only when complete.
class temp_file {
  public:
    explicit temp_file(const fs::path& dest) : dest_(dest) {
        std::string name =
            (dest.parent_path() / ("." + dest.filename().string() + ".oras-XXXXXX")).string();
        fd_ = ::mkstemp(name.data());
        if (fd_ < 0) {
            throw error(errc::invalid_argument, "cannot create a temporary file beside "
                                                    + quote(dest.string()) + ": "
                                                    + std::strerror(errno));
        }
        path_ = name;
    }
    ~temp_file() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (!path_.empty()) {
            ::unlink(path_.c_str());
        }
    }
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;

    void write(std::span<const std::byte> b) {
        while (!b.empty()) {
            const auto n = ::write(fd_, b.data(), b.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                throw error(errc::invalid_argument,
                            "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
            }
            b = b.subspan(static_cast<std::size_t>(n));
        }
    }

    void commit(bool keep_old) {
        if (::fchmod(fd_, 0644) != 0 || ::fsync(fd_) != 0) {
            throw error(errc::invalid_argument,
                        "cannot write " + quote(dest_.string()) + ": " + std::strerror(errno));
        }
        ::close(fd_);
        fd_ = -1;
        if (keep_old) {
            // link() refuses to replace: an existing file is kept and the pull fails.
            if (::link(path_.c_str(), dest_.c_str()) != 0) {
                throw error(errc::already_exists,
                            quote(dest_.string()) + " exists (and old files are kept)");
            }
            return;  // the destructor unlinks the temporary name
        }
        if (::rename(path_.c_str(), dest_.c_str()) != 0) {
            throw error(errc::invalid_argument, "cannot rename into " + quote(dest_.string()) + ": "
                                                    + std::strerror(errno));
        }
        path_.clear();
    }

  private:
    fs::path dest_;
    std::string path_;
    int fd_ = -1;
};

/// A hidden directory under the output directory where a tree is unpacked before it is moved
/// into place; removed with whatever is left in it.
class staging_dir {
  public:
    explicit staging_dir(const fs::path& root) {
        std::string name = (root / ".oras-unpack-XXXXXX").string();
        if (::mkdtemp(name.data()) == nullptr) {
            throw error(errc::invalid_argument, "cannot create a directory in "
                                                    + quote(root.string()) + ": "
                                                    + std::strerror(errno));
        }
        path_ = name;
    }
    ~staging_dir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    staging_dir(const staging_dir&) = delete;
    staging_dir& operator=(const staging_dir&) = delete;

    const fs::path& path() const noexcept { return path_; }

    void move_into_place(const std::string& title, const fs::path& dest) {
        std::error_code ec;
        fs::rename(path_ / fs::path(title), dest, ec);
        if (ec) {
            throw error(errc::invalid_argument, "cannot move the unpacked " + quote(title)
                                                    + " into place: " + ec.message());
        }
    }

  private:
    fs::path path_;
};

void emit(const progress_fn& p, progress_event::kind k, const descriptor& d,
          const std::string& name, std::uint64_t done = 0) {
    if (p) {
        p({k, d, name, done});
    }
}

/// Collects the layers of `desc`, following indexes into their manifests.
asio::awaitable<void> collect_layers(content::target& src, const descriptor& desc, unsigned depth,
                                     std::vector<descriptor>& out) {
    const auto bytes = co_await content::fetch_all(src, desc);
    if (media_type::is_index(desc.media_type)) {
        if (depth == max_index_depth) {
            throw error(errc::invalid_manifest,
                        "indexes nested deeper than " + std::to_string(max_index_depth));
        }
        auto index = image_index::parse(bytes);
        if (!index) {
            throw error(index.error().code,
                        "index " + desc.digest.str() + ": " + index.error().message);
        }
        for (const auto& m : index->manifests) {
            if (media_type::is_manifest(m.media_type) || media_type::is_index(m.media_type)) {
                co_await collect_layers(src, m, depth + 1, out);
            }
        }
        co_return;
    }
    auto manifest = image_manifest::parse(bytes);
    if (!manifest) {
        throw error(manifest.error().code,
                    "manifest " + desc.digest.str() + ": " + manifest.error().message);
    }
    out.insert(out.end(), manifest->layers.begin(), manifest->layers.end());
}

}  // namespace

asio::awaitable<pull_result> pull(content::target& src, std::string reference, pull_options o) {
    pull_result out;
    out.manifest = co_await src.resolve(reference);
    if (!media_type::is_manifest(out.manifest.media_type)
        && !media_type::is_index(out.manifest.media_type)) {
        throw error(errc::invalid_media_type,
                    reference + " names " + out.manifest.media_type + ", not a manifest");
    }
    std::vector<descriptor> layers;
    co_await collect_layers(src, out.manifest, 0, layers);

    std::error_code ec;
    fs::create_directories(o.output, ec);
    const auto root = fs::canonical(o.output, ec);
    if (ec) {
        throw error(errc::invalid_argument, "cannot use the output directory "
                                                + quote(o.output.string()) + ": " + ec.message());
    }
    // Plan before fetching: every destination is checked, and no two layers share one.
    struct job {
        descriptor desc;
        std::string title;
        fs::path dest;
        bool unpack = false;
    };
    std::vector<job> jobs;
    std::set<std::string, std::less<>> seen;
    for (const auto& l : layers) {
        const std::string title(l.annotation(annotation::title));
        const bool wanted = o.media_types.empty()
                            || std::find(o.media_types.begin(), o.media_types.end(), l.media_type)
                                   != o.media_types.end();
        if (title.empty() || !wanted) {
            ++out.skipped;
            ++(title.empty() ? out.untitled : out.filtered);
            emit(o.progress, progress_event::kind::skipped, l, title);
            continue;
        }
        if (!seen.insert(title).second) {
            if (std::any_of(jobs.begin(), jobs.end(),
                            [&](const job& j) { return j.title == title && j.desc == l; })) {
                continue;  // the same layer twice (an index of similar manifests)
            }
            throw error(errc::invalid_manifest,
                        "two different layers are both titled " + quote(title));
        }
        job j{l, title, destination(root, title),
              l.annotation(annotation::content_unpack) == "true"};
        if (o.keep_old_files && !j.unpack && fs::exists(fs::symlink_status(j.dest, ec))) {
            throw error(errc::already_exists,
                        quote(j.dest.string()) + " exists (and old files are kept)");
        }
        jobs.push_back(std::move(j));
    }

    out.files.resize(jobs.size());
    std::function<asio::awaitable<void>(std::size_t)> task =
        [&](std::size_t i) -> asio::awaitable<void> {
        const auto& j = jobs[i];
        emit(o.progress, progress_event::kind::started, j.desc, j.title);
        auto done = std::make_shared<std::uint64_t>(0);
        const auto report = [&o, &j, done](std::size_t n) {
            *done += n;
            emit(o.progress, progress_event::kind::bytes, j.desc, j.title, *done);
        };
        std::error_code dir_ec;
        fs::create_directories(j.dest.parent_path(), dir_ec);
        if (dir_ec) {
            throw error(
                errc::invalid_argument,
                "cannot create " + quote(j.dest.parent_path().string()) + ": " + dir_ec.message());
        }
        if (j.unpack) {
            content::detail::unpack_options uo;
            uo.expected_tar_digest = std::string(j.desc.annotation(annotation::content_digest));
            uo.keep_old_files = o.keep_old_files;
            uo.required_prefix = j.title;
            // A new directory is unpacked aside and moved in only once its digest matched, so
            // unverified content never appears under its name. An existing one is updated in
            // place, as the ORAS CLI does.
            std::error_code exists_ec;
            const bool fresh = !fs::exists(fs::symlink_status(j.dest, exists_ec));
            auto staging = fresh ? std::make_shared<staging_dir>(root) : nullptr;
            auto extractor = std::make_shared<content::detail::tar_extractor>(
                fresh ? staging->path() : root, uo);
            content::write_fn sink =
                [extractor, report](std::span<const std::byte> b) -> asio::awaitable<void> {
                extractor->write(b);
                report(b.size());
                co_return;
            };
            co_await src.fetch(j.desc, std::move(sink));
            extractor->finish();
            if (fresh) {
                staging->move_into_place(j.title, j.dest);
            }
        } else {
            auto file = std::make_shared<temp_file>(j.dest);
            content::write_fn sink =
                [file, report](std::span<const std::byte> b) -> asio::awaitable<void> {
                file->write(b);
                report(b.size());
                co_return;
            };
            co_await src.fetch(j.desc, std::move(sink));  // size and digest verified
            file->commit(o.keep_old_files);
        }
        out.files[i] = pulled_file{j.desc, j.dest, j.unpack};
        emit(o.progress, progress_event::kind::finished, j.desc, j.title,
             static_cast<std::uint64_t>(j.desc.size));
    };
    co_await detail::for_each_limited(jobs.size(), o.concurrency, task);
    co_return out;
}

}  // namespace oras::ops
