// Files the CLI reads (`FILE` or `-`) and writes (`-o FILE`, `--export-manifest`): written
// through a temporary file renamed into place, so a failure never leaves a partial file.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace oras::cli {

/// The whole of `path`, or of stdin for "-"; refuses more than `limit` bytes. `what` names the
/// file in errors ("manifest file").
std::string read_input(const std::string& path, std::string_view what,
                       std::size_t limit = 64 * 1024 * 1024);

/// Writes `bytes` to `path` ("-": stdout) through a temporary file in the same directory,
/// renamed over `path` once written and synced. Throws `oras::error` naming the file.
void write_output(const std::string& path, std::string_view bytes, std::string_view what);

}  // namespace oras::cli
