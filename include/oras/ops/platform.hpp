// platform: choosing one platform's manifest from an index (`--platform os/arch[/variant]`).
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/result.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::ops {

/// Parses `os/arch[/variant]` (the ORAS CLI's `--platform`), e.g. `linux/arm64/v8`.
result<oras::platform> parse_platform(std::string_view text);

/// `os/arch[/variant]`.
std::string to_string(const oras::platform& p);

/// Whether an index entry's platform satisfies `want` (variant compared only when wanted).
bool platform_matches(const oras::platform& have, const oras::platform& want) noexcept;

/// The manifest of `root` built for `want`: the first matching entry of an index, or `root`
/// itself when it is a manifest whose config names that platform. Manifests and configs are
/// read whole, up to `limit` bytes. Throws `oras::error`: `not_found` when nothing matches,
/// `invalid_media_type` when `root` is neither an index nor a manifest.
///
/// Lifetime: `src` must outlive the operation.
boost::asio::awaitable<descriptor> select_platform(content::target& src, descriptor root,
                                                   oras::platform want,
                                                   std::size_t limit = 4 * 1024 * 1024);

}  // namespace oras::ops

#pragma GCC visibility pop
