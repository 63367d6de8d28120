// ORAS_CACHE: the blob cache pull, cp, backup, blob fetch and manifest fetch read from and fill,
// as the ORAS CLI's variable names it.
#pragma once

#include <oras/content/blob_cache.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>

namespace oras::cli {

/// A size such as `500M`, `10G` or `1048576`: a count of bytes with an optional binary suffix
/// (K, M, G, T; KiB, MiB... and a trailing B accepted). Nothing for anything else, overflow
/// included.
std::optional<std::uint64_t> parse_size(std::string_view text);

/// The cache `ORAS_CACHE` names, bounded by `ORAS_CACHE_MAX_SIZE` (none: unbounded); empty when
/// `ORAS_CACHE` is unset or empty. Throws `invalid_argument` naming the variable for a size it
/// cannot read.
std::shared_ptr<content::blob_cache> cache_from_environment();

/// Where push and attach remember the digests of archived directories (see
/// `content::file_store_options::tree_cache`): `$ORAS_CACHE/trees` when `ORAS_CACHE` is set,
/// else `$XDG_CACHE_HOME/oras-cpp/trees`, else `$HOME/.cache/oras-cpp/trees` (relative values
/// of these variables ignored, as the XDG spec says); empty when none applies.
std::filesystem::path tree_cache_from_environment();

}  // namespace oras::cli
