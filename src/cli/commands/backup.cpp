// oras-cpp backup / restore: the tagged artifacts of a repository into an OCI layout (a directory
// or a tar archive) and back, as the ORAS CLI's experimental commands of those names.
#include "cli/commands/commands.hpp"
#include "cli/display/progress.hpp"
#include "cli/options/cache.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/content/layout_tar_writer.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/copy_tags.hpp>
#include <oras/ops/location.hpp>

#include "core/posix_file.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

namespace oras::cli {

namespace {

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

/// The ORAS CLI's way of writing how long something took (Go's `Duration` rounded to the second
/// past one second, else to the millisecond, else to the microsecond): `3s`, `1m5s`, `245ms`.
std::string took(clock_type::duration d) {
    using namespace std::chrono;
    auto us = duration_cast<microseconds>(d).count();
    if (us > 1000 && us <= 1'000'000) {
        us = (us + 500) / 1000 * 1000;  // to the millisecond: 999.6 ms is 1s, as Go prints it
    }
    if (us >= 1'000'000) {
        auto s = (us + 500'000) / 1'000'000;
        std::string out;
        if (s >= 3600) {
            out += std::to_string(s / 3600) + "h";
            s %= 3600;
            out += std::to_string(s / 60) + "m";
        } else if (s >= 60) {
            out += std::to_string(s / 60) + "m";
        }
        return out + std::to_string(s % 60) + "s";
    }
    if (us >= 1000) {
        return std::to_string(us / 1000) + "ms";
    }
    return std::to_string(us) + "\u00b5s";
}

/// "a, b" for up to five tags on the line itself, else one per line below it.
void print_found(const std::vector<std::string>& tags, const std::string& where) {
    if (tags.empty()) {
        return;
    }
    std::cout << "Found " << tags.size() << " tag(s) in " << where;
    if (tags.size() <= 5) {
        std::cout << ": ";
        for (std::size_t i = 0; i < tags.size(); ++i) {
            std::cout << (i == 0 ? "" : ", ") << tags[i];
        }
        std::cout << "\n";
        return;
    }
    std::cout << ":\n";
    for (const auto& t : tags) {
        std::cout << t << "\n";
    }
}

/// The artifacts to back up or restore: `REGISTRY/REPOSITORY[:TAG[,TAG...]]`, never a digest.
void refuse_digest(const std::string& ref) {
    if (ref.find('@') != std::string::npos) {
        throw error(errc::invalid_reference,
                    "digest references are not supported: name tags, "
                    "REGISTRY/REPOSITORY[:TAG[,TAG...]], or none for every tag");
    }
}

/// A hidden directory made beside `next_to` (its parents created) where a new layout directory is
/// built, then renamed to `next_to` whole. Removed with everything in it
/// when this goes, unless kept or handed over. It is locked (flock on the directory) while this
/// process lives, so that a backup killed outright leaves one the next backup to the same output
/// can tell from a live one's, and remove.
class scratch_layout {
  public:
    /// `mode`: what the directory gets (mkdtemp makes it 0700), for one that becomes the output.
    scratch_layout(const fs::path& next_to, mode_t mode) {
        const auto parent = next_to.parent_path().empty() ? fs::path(".") : next_to.parent_path();
        std::error_code ec;
        fs::create_directories(parent, ec);
        const auto prefix = "." + next_to.filename().string() + ".oras-backup-";
        remove_dead(parent, prefix);
        std::string tmpl = (parent / (prefix + "XXXXXX")).string();
        if (::mkdtemp(tmpl.data()) == nullptr || ::chmod(tmpl.c_str(), mode) != 0) {
            throw error(errc::invalid_argument, "cannot create a directory beside "
                                                    + next_to.string() + ": "
                                                    + std::strerror(errno));
        }
        path_ = tmpl;
        lock_.reset(::open(tmpl.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
        if (lock_) {
            // Fails only where there are no locks, where no sweep can lock it either.
            ::flock(lock_.get(), LOCK_EX | LOCK_NB);
        }
    }
    ~scratch_layout() {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove_all(path_, ec);
        }
    }
    scratch_layout(const scratch_layout&) = delete;
    scratch_layout& operator=(const scratch_layout&) = delete;
    const fs::path& path() const noexcept { return path_; }

    /// Renames it to `to`, never over anything there (a directory another process made
    /// meanwhile). On failure it is kept, under a name the next backup does not sweep
    /// (`<name>.complete`, when free), and the error says where the backup is.
    void move_to(const fs::path& to) {
        if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
            const int err = errno;
            auto kept = path_;
            const auto complete = kept.string() + ".complete";
            if (::renameat2(AT_FDCWD, kept.c_str(), AT_FDCWD, complete.c_str(), RENAME_NOREPLACE)
                == 0) {
                kept = complete;
            }
            path_.clear();
            throw error(errc::already_exists,
                        "cannot put the backup at " + to.string() + " (" + std::strerror(err)
                            + "; something else made it meanwhile?): it is complete in "
                            + kept.string());
        }
        path_.clear();
    }

    /// Removes the build directories `<parent>/<prefix>XXXXXX` of backups that died: this user's,
    /// unlocked, and unchanged for a while (a live backup locks its own just after making it).
    static void remove_dead(const fs::path& parent, const std::string& prefix) {
        std::error_code ec;
        for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
            const auto name = it->path().filename().string();
            struct stat st {};
            if (!name.starts_with(prefix) || name.size() != prefix.size() + 6
                || ::lstat(it->path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode)
                || st.st_uid != ::geteuid() || st.st_mtime > ::time(nullptr) - 10) {
                continue;
            }
            const oras::detail::unique_fd dir(
                ::open(it->path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW));
            if (dir && ::flock(dir.get(), LOCK_EX | LOCK_NB) == 0) {
                std::error_code ignored;
                fs::remove_all(it->path(), ignored);  // while locked: no live owner can take it
            }
        }
    }

  private:
    fs::path path_;
    oras::detail::unique_fd lock_;
};

struct backup_flags {
    std::string ref;
    std::string output;
    bool include_referrers = false;
    std::size_t concurrency = 3;
    target_flags target;
};

int run_backup(backup_flags& f) {
    const auto start = clock_type::now();
    // What mkdir would give a new output directory (read before any thread starts).
    const mode_t mask = ::umask(0);
    ::umask(mask);
    refuse_digest(f.ref);
    if (f.output.empty()) {
        throw error(errc::invalid_argument, "the output path cannot be empty");
    }
    // As filepath.Ext: `.tar` alone is an archive's name too.
    auto name = fs::path(f.output).filename().string();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const bool to_tar = name.ends_with(".tar");
    std::error_code ec;
    if (to_tar && fs::is_directory(f.output, ec)) {
        throw error(errc::invalid_argument,
                    "the output path " + f.output
                        + " already exists and is a directory: to back up to a tar archive, "
                          "name another file or remove the directory");
    }

    boost::asio::io_context io;
    auto src = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::read);
    const auto repo = f.target.repository(f.ref);

    // An archive is written in one pass under a temporary name and renamed over the output
    // when complete. A new directory is built aside and renamed into place whole: a failure
    // never removes anything at the output path (another process may have made it meanwhile).
    // An existing directory is added to in place.
    const bool fresh_dir = !to_tar && !fs::exists(fs::symlink_status(f.output, ec));
    std::optional<scratch_layout> scratch;
    std::optional<content::oci_layout> layout;
    std::optional<content::layout_tar_writer> archive;
    if (to_tar) {
        const auto parent = fs::path(f.output).parent_path();
        if (!parent.empty()) {
            fs::create_directories(parent, ec);
        }
        // What a backup to this archive killed outright left when it still built a layout first.
        scratch_layout::remove_dead(parent.empty() ? fs::path(".") : parent,
                                    "." + fs::path(f.output).filename().string() + ".oras-backup-");
        archive.emplace(f.output);
    } else {
        fs::path root = f.output;
        if (fresh_dir) {
            scratch.emplace(f.output, 0777 & ~mask);
            root = scratch->path();
        }
        layout.emplace(root);
    }
    content::target& dst = archive ? static_cast<content::target&>(*archive) : *layout;

    ops::copy_tags_options o;
    o.tags = src.tags;
    o.referrers = f.include_referrers;
    o.concurrency = f.concurrency;
    o.cache = cache_from_environment();
    progress_display display(f.target.tty(), true, "Pulling", "Pulled");
    o.progress = display.callback();
    o.on_tags = [&repo](const std::vector<std::string>& tags) { print_found(tags, repo); };
    o.on_copied = [](const ops::tag_copy& t) {
        std::cout << "Pulled tag " << t.tag << " with " << t.referrers << " referrer(s)\n";
    };
    const auto cache = o.cache;
    const auto r = wait(io, ops::copy_tags(*src.target, dst, std::move(o)));
    display.done();
    if (cache) {
        cache->trim();
    }
    if (r.tags.empty()) {
        throw error(errc::not_found, "no tags found in repository \"" + repo
                                         + "\": list them with 'oras-cpp repo tags " + repo + "'");
    }
    if (to_tar) {
        std::cout << "Exporting to " << f.output << "\n";
        const auto size = archive->commit();
        std::cout << "Exported to " << f.output << " (" << oras_size(size) << ")\n";
    }
    if (fresh_dir) {
        scratch->move_to(f.output);
    }
    std::cout << "Successfully backed up " << r.tags.size() << " tag(s) from \"" << repo
              << "\" to \"" << f.output << "\" in " << took(clock_type::now() - start) << ".\n";
    return 0;
}

struct restore_flags {
    std::string ref;
    std::string input;
    bool exclude_referrers = false;
    bool dry_run = false;
    std::size_t concurrency = 5;
    target_flags target;
};

int run_restore(restore_flags& f) {
    const auto start = clock_type::now();
    refuse_digest(f.ref);
    if (f.input.empty()) {
        throw error(errc::invalid_argument, "the input path cannot be empty");
    }
    struct stat st {};
    if (::stat(f.input.c_str(), &st) != 0) {
        throw error(errc::not_found,
                    "cannot access the input path " + f.input + ": " + std::strerror(errno));
    }
    std::unique_ptr<content::oci_layout> layout;
    if (S_ISREG(st.st_mode)) {
        // Read as `--oci-layout` reads one: a plain archive in place, a compressed one extracted
        // under TMPDIR with no cap on its size but from_tar's ratio check.
        layout = content::oci_layout::from_tar(f.input, 64 * 1024 * 1024, 0);
        std::cout << "Loaded backup archive: " << f.input << " ("
                  << oras_size(static_cast<std::uint64_t>(st.st_size)) << ")\n";
    } else if (S_ISDIR(st.st_mode)) {
        layout = std::make_unique<content::oci_layout>(
            f.input, content::oci_layout_options{.create = false, .read_only = true});
    } else {
        throw error(errc::invalid_argument,
                    "the input path " + f.input + " must be a directory or a tar archive");
    }

    boost::asio::io_context io;
    auto dst = ops::open_target(io.get_executor(), f.target.location(f.ref), ops::open_mode::write);
    const auto repo = f.target.repository(f.ref);

    ops::copy_tags_options o;
    o.tags = dst.tags;
    o.referrers = !f.exclude_referrers;
    o.dry_run = f.dry_run;
    o.concurrency = f.concurrency;
    progress_display display(f.target.tty(), true, "Pushing", "Pushed");
    o.progress = display.callback();
    o.on_tags = [](const std::vector<std::string>& tags) { print_found(tags, "the backup"); };
    const bool dry = f.dry_run;
    o.on_copied = [dry](const ops::tag_copy& t) {
        std::cout << (dry ? "Dry run: would push tag " : "Pushed tag ") << t.tag << " with "
                  << t.referrers << " referrer(s)\n";
    };
    const auto r = wait(io, ops::copy_tags(*layout, *dst.target, std::move(o)));
    display.done();
    if (r.tags.empty()) {
        throw error(errc::not_found, "no tags found in the OCI layout \"" + f.input
                                         + "\": list them with 'oras-cpp repo tags --oci-layout "
                                         + f.input + "'");
    }
    if (dry) {
        std::cout << "Dry run complete: " << r.tags.size() << " tag(s) would be restored to \""
                  << repo << "\" (no data pushed)\n";
    } else {
        std::cout << "Successfully restored " << r.tags.size() << " tag(s) to \"" << repo
                  << "\" in " << took(clock_type::now() - start) << "\n";
    }
    return 0;
}

}  // namespace

void add_backup(app& a) {
    auto f = std::make_shared<backup_flags>();
    auto* cmd = a.cli.add_subcommand(
        "backup", "[Experimental] Back up artifacts from a registry into an OCI image layout");
    cmd->footer(
        "The output is a tar archive when its name ends in .tar, else a directory (created if\n"
        "missing, or added to).\n\n"
        "Examples:\n"
        "  oras-cpp backup --output hello localhost:5000/hello:v1\n"
        "  oras-cpp backup --output hello.tar localhost:5000/hello:v1\n"
        "  oras-cpp backup --output hello --include-referrers localhost:5000/hello:v1\n"
        "  oras-cpp backup --output hello localhost:5000/hello:v1,v2,v3\n"
        "  oras-cpp backup --output hello localhost:5000/hello");
    cmd->add_option("reference", f->ref,
                    "REGISTRY/REPOSITORY[:TAG[,TAG...]]: the tags to back up, or every tag")
        ->required();
    cmd->add_option("-o,--output", f->output,
                    "Path of the backup: a tar archive (*.tar) or a directory")
        ->required();
    cmd->add_flag("--include-referrers", f->include_referrers,
                  "Back up each artifact's referrers too (signatures, SBOMs...)");
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once");
    f->target.add(*cmd, false, true);
    a.commands.push_back({cmd, [f] { return run_backup(*f); }, [f] { return f->ref; }});
}

void add_restore(app& a) {
    auto f = std::make_shared<restore_flags>();
    auto* cmd = a.cli.add_subcommand(
        "restore", "[Experimental] Restore artifacts to a registry from an OCI image layout");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp restore --input hello.tar localhost:5000/hello:v1\n"
        "  oras-cpp restore --input hello localhost:5000/hello:v1\n"
        "  oras-cpp restore --input hello --dry-run localhost:5000/hello:v1\n"
        "  oras-cpp restore --input hello localhost:5000/hello:v1,v2\n"
        "  oras-cpp restore --input hello --exclude-referrers localhost:5000/hello");
    cmd->add_option("reference", f->ref,
                    "REGISTRY/REPOSITORY[:TAG[,TAG...]]: the tags to restore, or every tag")
        ->required();
    cmd->add_option("--input", f->input,
                    "Path of the backup: a tar archive of an OCI layout, or its directory")
        ->required();
    cmd->add_flag("--exclude-referrers", f->exclude_referrers,
                  "Restore the artifacts without their referrers");
    cmd->add_flag("--dry-run", f->dry_run, "Only say what would be restored: nothing is pushed");
    add_concurrency(*cmd, f->concurrency, "Blobs transferred at once");
    f->target.add(*cmd, false, true);
    a.commands.push_back({cmd, [f] { return run_restore(*f); }, [f] { return f->ref; }});
}

}  // namespace oras::cli
