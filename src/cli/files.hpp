// Files the CLI reads (`FILE` or `-`) and writes (`-o FILE`, `--export-manifest`): written
// through a temporary file renamed into place, so a failure never leaves a partial file.
#pragma once

#include "core/posix_file.hpp"
#include "core/write_behind.hpp"

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace oras::cli {

/// Throws `invalid_argument` saying why `path` cannot be read as a file: it does not exist, it
/// is a directory, or (with `regular_only`) anything but a regular file, or the errno. `what`
/// names it ("blob file").
void check_input_file(const std::string& path, std::string_view what, bool regular_only = true);

/// The whole of `path`, or of stdin for "-"; refuses more than `limit` bytes. `what` names the
/// file in errors ("manifest file").
std::string read_input(const std::string& path, std::string_view what,
                       std::size_t limit = 64 * 1024 * 1024);

/// Writes `bytes` to `path` ("-": stdout) through a temporary file in the same directory,
/// renamed over `path` once written and synced. Throws `oras::error` naming the file.
void write_output(const std::string& path, std::string_view bytes, std::string_view what);

/// Whether `-o path` is written to in place rather than replaced: a device, a pipe, a socket,
/// or a descriptor's link (`/dev/stdout`), as `output_file` decides. Throws as `output_file`
/// does for a directory or a path that cannot be inspected; `what` names it ("blob").
bool written_in_place(const std::filesystem::path& path, std::string_view what);

/// Writes a file by chunks through a temporary beside `path`; `commit` renames it into place,
/// destruction without commit removes it. A `path` that is a symbolic link stands for the file it
/// names (the link stays); an existing file's mode (and owner, when allowed) is kept; a `path`
/// that exists and is neither a file nor a directory (a device, a pipe), or a link through
/// /proc or /dev/fd (`/dev/stdout`), is written to in place.
/// (The library's `content::detail::temp_file` does the same for stores, but is not exported from a
/// shared liboras; both use core/posix_file.hpp.)
class output_file {
  public:
    output_file(std::filesystem::path path, std::string_view what);
    ~output_file();
    output_file(const output_file&) = delete;
    output_file& operator=(const output_file&) = delete;
    void write(std::string_view bytes);
    void commit();
    /// Whether the bytes go straight to the destination (a device, a pipe, a descriptor's
    /// link) rather than to a temporary file that `commit` puts in place: what was written
    /// then cannot be taken back.
    bool in_place() const noexcept { return stream_; }

  private:
    void open_in_place(const std::string& shown);

    std::filesystem::path path_;
    std::string temp_;
    std::string what_;
    oras::detail::unique_fd fd_;
    bool stream_ = false;                    // written to in place: a device or a pipe
    oras::detail::write_behind behind_{-1};  // set once fd_ is open
};

}  // namespace oras::cli
