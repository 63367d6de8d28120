// blocking: the operations (push, pull, copy, mirror, attach, discover, tags, manifests, blobs,
// login and logout) as plain function calls, for programs that run no io_context. Each call
// runs its own io_context on the calling thread until it is done.
#pragma once

#include <oras/auth/credential_store.hpp>
#include <oras/ops/attach.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/discover.hpp>
#include <oras/ops/location.hpp>
#include <oras/ops/manage.hpp>
#include <oras/ops/mirror.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>
#include <oras/registry/connect.hpp>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

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

/// One end of a copy.
struct copy_endpoint {
    /// A registry reference, `registry/repository[:tag[,tag...]][@digest]`; with `oci_layout`,
    /// a layout directory `DIR[:tag[,tag...]]` or `DIR@digest` (as the ORAS CLI's
    /// `--from-oci-layout` / `--to-oci-layout` take them).
    std::string reference{};
    /// `reference` names an OCI image layout, not a registry repository.
    bool oci_layout = false;
    /// How to reach the registry (ignored for a layout).
    remote_options remote{};
    /// When not empty, the layout directory, and `reference` the whole reference inside it
    /// (see `ops::location::layout_path`; the ORAS CLI's `--from-oci-layout-path`).
    std::filesystem::path layout_path{};
};

/// Copies the graph `from` names into `to` (see `ops::copy_locations`). Tags in `to`
/// (`repo:a,b`) are added to `options.tags`; with none at all the graph is copied untagged, as
/// `oras cp` does. A destination layout is created if missing.
ops::copy_result copy(const copy_endpoint& from, const copy_endpoint& to,
                      ops::copy_options options = {});

// --- single operations on a location (a registry reference, or a layout with `oci_layout`) ----

/// `ops::attach` to what `subject` names (`host/repo:tag`, `@digest`, or a layout `DIR:TAG`).
ops::attach_result attach(const ops::location& subject, ops::attach_options options);
/// `ops::discover` from what `subject` names.
ops::discover_result discover(const ops::location& subject, ops::discover_options options = {});
/// The descriptor `reference` names.
descriptor resolve(const ops::location& reference);
/// Points `tags` at what `reference` names (`ops::tag`).
descriptor tag(const ops::location& reference, std::vector<std::string> tags);
/// The tags of a repository or layout (`ops::list_tags`).
std::vector<std::string> tags(const ops::location& repository, ops::list_tags_options options = {});
/// `ops::fetch_manifest`.
ops::fetched_manifest fetch_manifest(const ops::location& reference,
                                     ops::fetch_manifest_options options = {});
/// `ops::push_manifest` under the tags `reference` names (`repo:a,b`), or by digest.
ops::pushed_manifest push_manifest(const ops::location& reference, std::string bytes,
                                   std::string media_type = {});
/// `ops::delete_manifest`: the manifest `reference` names, with every tag on it.
descriptor delete_manifest(const ops::location& reference);
/// Writes the blob `reference` (`repo@digest`) names to the regular file `output`, verified
/// (`ops::fetch_blob_to_file`: through a temporary file renamed into place, nothing left under
/// `output` on failure, a large blob continued where a killed fetch stopped; a symbolic link's
/// file replaced and a replaced file's mode kept).
descriptor fetch_blob(const ops::location& reference, const std::filesystem::path& output);
/// Pushes the file `input` as a blob of `media_type` (skipped when the repository has it).
ops::pushed_blob push_blob(const ops::location& repository, const std::filesystem::path& input,
                           std::string media_type = "application/vnd.oci.image.layer.v1.tar");
/// `ops::delete_blob`: the blob `reference` (`repo@digest`) names.
descriptor delete_blob(const ops::location& reference);

/// Runs `ops::mirror` on its own io_context: the per-artifact report, failures included.
ops::mirror_result mirror(ops::mirror_plan plan, ops::mirror_options options = {});

/// See `ops::split_layout_reference`.
using ops::layout_reference;
using ops::split_layout_reference;

/// Verifies `cred` against `registry` and saves it (see `registry::login`).
void login(std::string_view registry, auth::credential cred, const remote_options& remote = {});

/// Forgets the saved credentials of `registry`.
void logout(std::string_view registry, const remote_options& remote = {});

}  // namespace oras::blocking

#pragma GCC visibility pop
