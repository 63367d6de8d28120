// The mirror configuration file (YAML; JSON is YAML too), read into an `ops::mirror_plan`.
#pragma once

#include <oras/ops/mirror.hpp>
#include <oras/result.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace oras::cli {

/// What a mirror configuration file holds besides the plan.
struct mirror_config {
    ops::mirror_plan plan{};
    std::optional<std::size_t> concurrency{};  ///< `concurrency:`, when given
};

/// Reads the environment (for `password-env`); tests pass their own.
using getenv_fn = std::function<std::optional<std::string>(const std::string&)>;

/// Parses a configuration:
///
///   concurrency: 16                    # optional
///   registries:                        # optional, per registry
///     src.example:5000: {plain-http: true}
///     ghcr.io: {username: me, password-env: GHCR_TOKEN, ca-file: ca.pem, max-requests: 16}
///   sync:
///     - from: src.example:5000/team/   # every repository under team/
///       to: ghcr.io/me/mirror/
///       tags: {allow: ['^v[0-9]'], deny: ['-rc']}
///       repositories: {deny: ['^team/tmp/']}
///       referrers: true
///       platform: linux/amd64
///
/// Refused, naming the file's line: YAML syntax errors, unknown keys, values of the wrong type,
/// bad references, regular expressions or platforms, an unset `password-env` variable. `name`
/// is the file's name for the messages. Nothing is sent to check it.
result<mirror_config> parse_mirror_config(std::string_view text, std::string_view name,
                                          const getenv_fn& getenv);

}  // namespace oras::cli
