// file_store: a target over a working directory, where titled layers are files (and directories).
#pragma once

#include <oras/content/memory_store.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::content {

/// How a `file_store` treats its working directory.
struct file_store_options {
    /// Refuse (`already_exists`) to replace files or directory members already on disk when
    /// titled content is pushed, instead of replacing them. A directory unpacked into one that
    /// exists, in place, is then taken back (what it created removed) when its unpacking fails,
    /// and with `deferred_commit` also when the store goes, or its commit fails, before it is
    /// committed: nothing was replaced, so the directory is again as it was.
    bool keep_old_files = false;

    /// Let `add` take paths outside the working directory (symlinks resolved). Only for adding:
    /// pushed titles are always kept inside it, whatever this says.
    bool disable_path_validation = false;

    /// Leave titled files and new directories that `push` wrote under their temporary names,
    /// written and verified but not synced, until `commit()`. Off: each file is synced and
    /// renamed into place as its push completes. On: `commit()` syncs the file system once for
    /// all of them, then renames them into place, then syncs again; a pull of a thousand small
    /// files pays one sync instead of a thousand fsyncs. Either way nothing partial ever appears
    /// under a title, and a store destroyed before `commit()` removes what it did not commit.
    bool deferred_commit = false;

    /// Where the digests of archived directories are remembered, keyed by their path and the
    /// metadata of every entry in the tree (names, types, modes, sizes, inodes, mtimes and
    /// ctimes; no file is read), so that `add` and `add_to` of a directory unchanged since need
    /// not archive it again to learn its digest. The digests of files of `digest_cache_min_size`
    /// or more are remembered the same way (by path and that metadata of the file), so that an
    /// unchanged large file is not read again to learn its digest; a file changed less than
    /// two seconds before it was read is not remembered. Only entries owned by this user,
    /// under a directory no other user can write, are used. A tree changed within a timestamp
    /// granule before it was archived is remembered only as a hint: `add_to` then archives it to
    /// learn its digest instead of sending it. Created (0700) on first use; shared safely by
    /// concurrent processes. Empty: nothing is remembered, every directory added is archived.
    /// A tree changed in a way its metadata does not show (a file rewritten with the same size,
    /// inode and both timestamps restored) would be described by its old digest; a copy of it
    /// then fails verification (`digest_mismatch`) wherever the bytes are actually read.
    std::filesystem::path tree_cache{};
};

/// The working directory of a push or a pull as a target, like oras-go's content/file store.
///
/// Layers are files named by their title annotation (`org.opencontainers.image.title`):
///
/// - `add` describes a file or directory to push. A file is hashed; a directory is described as
///   the reproducible tar+gzip layer of its tree (title, `io.deis.oras.content.digest` = digest
///   of the uncompressed tar, `io.deis.oras.content.unpack: "true"`). `fetch` then streams the
///   file, or archives the directory again, verifying size and digest as it streams: content
///   changed on disk since `add` fails (`size_mismatch`, `digest_mismatch`).
/// - `push` of a titled descriptor writes `working_dir/title` through a temporary file beside it,
///   renamed into place only once size and digest match; nothing is left under the title on a
///   mismatch. The file gets the mode a new file gets under the umask (`0666 & ~umask`, the
///   umask as it was when this process wrote its first such file). A layer annotated `unpack:
///   "true"` is extracted under `working_dir` instead (its members must lie under the title, its
///   tar digest must match the annotation); a directory not there before is unpacked aside and
///   moved into place once verified, an existing one is updated in place. Titles that are absolute,
///   hold `..`, pass through a symlink, or are named like this library's own temporary files are
///   refused (`invalid_argument`) before anything is written. Pushed content can be fetched back (a
///   directory by archiving it again, which gives the pushed bytes only when they were made the
///   way this library makes them).
/// - A title names one piece of content: adding or pushing other content under a title in use
///   fails with `already_exists`; pushing the same content again completes at once without
///   reading the source.
/// - Untitled content (manifests, configs) and `push_unknown` are kept in memory, as in a
///   `memory_store`. Tags live in memory too and name anything the store holds.
///
/// `exists` of a titled descriptor is true only when that title holds that content, so that a
/// copy skipping what exists still writes every file. Nothing committed is removed when the
/// store goes (see `file_store_options::deferred_commit`).
///
/// Not thread-safe, and it takes no lock: use one store from one strand (or one thread) at a
/// time. Coroutines interleaved on that strand are fine: a title being pushed is reserved, so a
/// second push to it fails with `already_exists` instead of racing. File I/O blocks the calling
/// thread (local disk).
class file_store final : public target, public resumable {
  public:
    /// `working_dir` need not exist yet: the first titled push creates it.
    explicit file_store(std::filesystem::path working_dir, file_store_options opts = {});

    /// As given at construction: titled layers are read from and written under it.
    const std::filesystem::path& working_dir() const noexcept { return working_dir_; }

    /// Describes the file or directory `path` (relative to the working directory unless
    /// absolute; empty: `title` itself) as the layer `title`, with `media_type` (empty: an OCI
    /// tar layer for a file, tar+gzip for a directory), and makes it fetchable. Reads all of it
    /// now (a directory is archived once, without keeping the bytes). Fails with
    /// `invalid_argument` for an empty title, a path that is missing, special, or outside the
    /// working directory (unless `disable_path_validation`); `invalid_media_type`;
    /// `already_exists` for a title in use.
    result<descriptor> add(std::string title, std::filesystem::path path,
                           std::string media_type = {});

    /// What `add_to` did with a layer.
    struct added {
        descriptor desc{};  ///< as `add` describes it
        bool sent = false;  ///< archived and pushed into the destination as it was produced
    };

    /// `add`, for a push into `dst`, archiving a new directory only once: a directory whose
    /// digest the tree cache does not know is archived as it streams into
    /// `dst.push_unknown(media_type, reader)` (tar, gzip and both digests computed on the way,
    /// no temporary file), and described by what came out. `watch` (when set) wraps that
    /// reader, to count its bytes. A file, or a directory the tree cache knows, is described as
    /// `add` does and not sent: a copy into `dst` then sends it only if `dst` lacks it. A
    /// directory the tree cache holds only a hint for is archived to learn its digest (once
    /// more if `dst` lacks it), as the tree it describes was probably pushed before. Throws
    /// what `add` fails with, and what `dst` throws.
    ///
    /// Lifetimes: `dst` must outlive the returned awaitable's completion; the other arguments
    /// are taken by value.
    boost::asio::awaitable<added> add_to(std::string title, std::filesystem::path path,
                                         std::string media_type, target& dst,
                                         std::function<byte_source(byte_source)> watch);
    /// `add_to` without watching (an overload: see `ops/manage.hpp` on default arguments).
    boost::asio::awaitable<added> add_to(std::string title, std::filesystem::path path,
                                         std::string media_type, target& dst) {
        return add_to(std::move(title), std::move(path), std::move(media_type), dst, {});
    }

    /// How many times this store has archived a directory (in `add`, `add_to` or `open`).
    std::size_t archive_passes() const noexcept { return archive_passes_; }
    /// How many files `add` and `add_to` have read to learn their digests (the rest were
    /// described from the `tree_cache`).
    std::size_t files_hashed() const noexcept { return files_hashed_; }
    /// Files of at least this many bytes have their digests remembered in the `tree_cache`:
    /// below it, hashing a file costs less than looking it up.
    static constexpr std::int64_t digest_cache_min_size = 1 << 20;
    /// When `desc` names a file this store described from the `tree_cache` without reading it,
    /// removes that entry (so that the next store reads the file) and returns true. For a
    /// failed upload of the file: the entry may have been stale, which its metadata did not
    /// show (a write still under way when it was taken), and a registry need not say so.
    bool forget_cached_digest(const descriptor& desc) noexcept;
    /// How many syncfs(2) calls this store has made: one per file system written to before the
    /// renames of each `commit()` and again after them (when there were renames), and one per
    /// directory unpacked without `deferred_commit`.
    std::size_t file_systems_synced() const noexcept { return syncs_; }

    /// A titled `desc`: whether that title holds that content (digest and size). Untitled: any
    /// content of that digest and size.
    boost::asio::awaitable<bool> exists(descriptor desc) override;
    boost::asio::awaitable<byte_source> open(descriptor desc) override;
    boost::asio::awaitable<void> push(descriptor desc, byte_source src) override;
    /// Kept in memory, hashed with SHA-256.
    boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                    byte_source src) override;
    /// A tag, or the digest of content the store holds (described as it was added or pushed).
    boost::asio::awaitable<descriptor> resolve(std::string reference) override;
    /// `reference` must be a valid tag and `desc` held by the store; a tag in use is moved.
    boost::asio::awaitable<void> tag(descriptor desc, std::string reference) override;

    /// With `deferred_commit`: makes every file and directory pushed since the last commit
    /// durable and puts it under its title (a syncfs(2) of each file system written to, the
    /// renames, the syncs again); directories unpacked in place are synced too. Throws
    /// `invalid_argument` when the file system cannot sync, `already_exists` when `keep_old_files`
    /// finds a destination taken meanwhile; what was not put in place is then removed and
    /// forgotten, and with `keep_old_files` directories unpacked in place are taken back (unless
    /// the failure came after every rename). Without `deferred_commit` there is nothing to do.
    void commit();

    /// Files of at least this many bytes are written under a stable temporary name (see
    /// `resumable`): a pull killed while writing one leaves what it had, and the next pull
    /// into the same directory continues from there.
    static constexpr std::int64_t resume_min_size = 1 << 20;
    /// Bytes of `desc` a killed earlier push left under its title's partial name (all of them
    /// when it was killed after writing the file but before `commit`); 0 when there are none,
    /// when `desc` is not a plain titled file of at least `resume_min_size` bytes, or when its
    /// title is already taken in this store.
    std::uint64_t partial_size(const descriptor& desc) override;
    /// `push`, continuing the partial file of `desc` from byte `offset` with `rest`; the whole
    /// file is hashed (the kept bytes read back) and verified before it is committed.
    boost::asio::awaitable<void> push_rest(descriptor desc, std::uint64_t offset,
                                           byte_source rest) override;

  private:
    struct file_entry {
        descriptor desc{};
        std::filesystem::path path{};  // the file, or the directory archived on fetch
        bool directory = false;
        bool from_cache = false;  // a file described by the tree cache, not read
    };

    struct pending;  // written, verified, not yet under its title
    struct prepared {
        std::filesystem::path full{};
        bool directory = false;
        std::string media_type{};
    };

    prepared prepare(const std::string& title, std::filesystem::path path,
                     std::string media_type) const;
    descriptor describe_file(const std::string& title, const prepared& p, bool& from_cache);

    boost::asio::awaitable<void> push_from(descriptor desc, byte_source src, std::uint64_t offset);
    std::filesystem::path root(bool create) const;
    const file_entry* find(const descriptor& desc) const;
    void record(std::string title, file_entry e);

    std::filesystem::path working_dir_;
    file_store_options opts_;
    std::map<std::string, file_entry, std::less<>> files_{};
    std::unordered_map<digest, std::string> titles_by_digest_{};  // the first title of each
    std::set<std::string, std::less<>> pushing_{};                // titles being written
    memory_store memory_{};
    std::map<std::string, descriptor, std::less<>> tags_{};
    // Existing directories a deferred push unpacked into in place: written, not yet synced
    // (and, with keep_old_files, taken back unless committed: newest first, after the pending
    // files, which may lie in directories they created, are gone).
    struct unpacked_in_place;
    struct in_place_list {
        std::vector<std::shared_ptr<unpacked_in_place>> items{};
        in_place_list() = default;
        in_place_list(in_place_list&&) noexcept = default;
        in_place_list& operator=(in_place_list&&) noexcept = default;
        in_place_list(const in_place_list&) = delete;
        in_place_list& operator=(const in_place_list&) = delete;
        ~in_place_list() {
            while (!items.empty()) {
                items.pop_back();
            }
        }
    };
    in_place_list written_in_place_{};
    std::vector<std::shared_ptr<pending>> pending_{};
    std::size_t archive_passes_ = 0;
    std::size_t files_hashed_ = 0;
    std::size_t syncs_ = 0;
};

}  // namespace oras::content

#pragma GCC visibility pop
