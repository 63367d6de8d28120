// blocking: push, pull, login and logout as plain function calls, for programs that run no
// io_context. Each call runs its own io_context on the calling thread until it is done.
#pragma once

#include <oras/auth/credential_store.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>
#include <oras/registry/connect.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace oras::blocking {

/// How to reach a registry: see `registry::connect_options`.
using remote_options = registry::connect_options;

/// Pushes to `reference` (`registry/repository[:tag[,tag...]]`); the tags in the reference are
/// added to `options.tags`.
ops::push_result push(std::string_view reference, ops::push_options options,
                      const remote_options& remote = {});

/// Pulls `reference` (`registry/repository:tag` or `@digest`).
ops::pull_result pull(std::string_view reference, ops::pull_options options,
                      const remote_options& remote = {});

/// Pushes into the OCI image layout at `layout` (created if missing), tagged with `options.tags`.
ops::push_result push_layout(const std::filesystem::path& layout, ops::push_options options);

/// Pulls `reference` (a tag or digest) from the OCI image layout at `layout`.
ops::pull_result pull_layout(const std::filesystem::path& layout, std::string reference,
                             ops::pull_options options);

/// Verifies `cred` against `registry` and saves it (see `auth::login`).
void login(std::string_view registry, auth::credential cred, const remote_options& remote = {});

/// Forgets the saved credentials of `registry`.
void logout(std::string_view registry, const remote_options& remote = {});

/// Splits `registry/repository:t1,t2` into the reference with its first tag and the tags.
struct split_reference {
    std::string reference{};          ///< `registry/repository[:t1][@digest]`
    std::vector<std::string> tags{};  ///< t1, t2, ...
};
result<split_reference> split_tags(std::string_view reference);

}  // namespace oras::blocking
