// Internal: a byte_source reading a file range with pread.
#pragma once

#include <oras/byte_source.hpp>

#include <cstdint>
#include <filesystem>

namespace oras::detail {

/// `length` bytes of the file open as `fd` (owned from now on; -1: `path` opened at the first
/// read) from `offset`, read with pread: a source that keeps reading the file it was given
/// whatever is renamed or removed under its name meanwhile. `path` names it in errors; the
/// source's `file()` is not set (a consumer cannot reopen it by name). Replayable.
byte_source file_reader(int fd, std::filesystem::path path, std::uint64_t offset,
                        std::uint64_t length);

}  // namespace oras::detail
