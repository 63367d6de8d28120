// Internal: which process a temporary name belongs to, so that what a killed process left behind
// is removed by the next one while what a live one is still writing is never touched.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace oras::content::detail {

/// This process's claim on the temporary names it creates in one directory.
///
/// A claim is the file `.oras-owner-<token>` in that directory, locked (flock) while any claim
/// on the directory lives in this process. Every temporary name made under it ends in
/// `-<token>-XXXXXX`. A lock outlives no process, even one killed with SIGKILL, so a free lock
/// means its owner is gone: when this process starts claiming a directory it removes the
/// temporary names of such owners, then their owner files (`sweep_dead_owners`). Temporary
/// names without a token (a partial file's stable name) are never removed that way. A name made
/// with `kept_template` is handed on instead: a dead owner's file goes back to its stable name,
/// for the next process to take up (a whole download that was never committed).
///
/// Claims on one directory in one process share one owner file, unlinked when the last goes.
/// On a file system without locks there is no owner file and the names carry no token: nothing
/// is swept there, and nothing of a live process is ever taken for a dead one's.
class dir_claim {
  public:
    /// Throws `invalid_argument` naming `dir` when the owner file cannot be created.
    explicit dir_claim(const std::filesystem::path& dir);

    /// The 16 hex digits that the temporary names of this claim carry (empty without locks).
    const std::string& token() const noexcept;

    /// `<dir>/<prefix>-<token>-XXXXXX` (`<dir>/<prefix>-XXXXXX` without a token), a template for
    /// mkstemp or mkdtemp.
    std::string name_template(std::string_view prefix) const;

    /// `<dir>/<stable>.kept-<token>-XXXXXX`: a template for mkstemp of a file that, should this
    /// process die holding it, a sweep renames to `<dir>/<stable>` (unless that name is taken)
    /// rather than removes. Empty without a token, or when the name would not fit NAME_MAX:
    /// then only `name_template` names are made.
    std::string kept_template(std::string_view stable) const;

    struct owner;  // the locked owner file (dir_claim.cpp)

  private:
    std::shared_ptr<owner> owner_;
};

/// Whether `name` is an owner file or a temporary name made under a claim: what
/// `sweep_dead_owners` decides about, never an age rule (its owner may still be writing it).
bool is_claimed_name(std::string_view name);

/// Removes from `dir` the temporary names of owners whose lock is free, and their owner files;
/// returns how many names it removed. A kept name (`kept_template`) of such an owner, a plain
/// file, is renamed to its stable name instead when that name is free, and counted too. Owner
/// files it cannot lock belong to live processes. A directory that cannot be read is left
/// alone (0).
std::size_t sweep_dead_owners(const std::filesystem::path& dir);

/// `sweep_dead_owners(dir)` unless this process swept `dir` within the last minute (as the first
/// claim on a directory does): for a reader that looks for what dead owners handed on.
void sweep_if_due(const std::filesystem::path& dir);

}  // namespace oras::content::detail
