// platform: choosing one platform's manifest from an index
// (`--platform os[/arch][/variant][:os_version]`).
#pragma once

#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/detail/async.hpp>
#include <oras/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::ops {

/// Parses `os[/arch[/variant]][:os_version]` as the ORAS CLI's `--platform` does, e.g.
/// `linux/arm64/v8` or `windows/amd64:10.0.17763`: an architecture left out is this machine's
/// (by Go's names: amd64, arm64, arm, 386, ppc64le, s390x, riscv64...). Fails
/// (`invalid_argument`) for more than three parts, or an empty OS or architecture.
result<oras::platform> parse_platform(std::string_view text);

/// `os/arch[/variant][:os_version]`.
std::string to_string(const oras::platform& p);

/// The platform an image config names, read as the ORAS CLI reads one (Go's json.Unmarshal into
/// a platform): keys matched without regard to case, a later one overriding an earlier, null
/// leaving a member as it was. Nothing when the bytes are not a JSON object, a member has the
/// wrong type, or neither `os` nor `architecture` is set.
std::optional<oras::platform> platform_of_config(std::string_view config);

/// This machine's architecture as Go names it (`runtime.GOARCH`): `amd64`, `arm64`...
std::string host_architecture();

/// Whether an index entry's platform satisfies `want`, as oras-go matches one: OS and
/// architecture equal, OS version and variant compared only when wanted, and `want`'s OS
/// features all among the entry's.
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

/// Completion-token form of `select_platform` (the limit given): with the default `deferred`
/// (or `use_awaitable`) the awaitable itself; with any other token it runs on `executor` (the
/// target's) and completes with `void(std::exception_ptr, descriptor)`. Lifetime: `src` must
/// outlive the operation, which starts only when the token starts it.
template <class Token = boost::asio::deferred_t>
auto async_select_platform(boost::asio::any_io_executor executor, content::target& src,
                           descriptor root, oras::platform want, std::size_t limit,
                           Token&& token = {}) {
    auto op = select_platform(src, std::move(root), std::move(want), limit);
    return oras::detail::start(std::move(executor), std::move(op), std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop
