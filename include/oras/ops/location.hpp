// location: a registry reference or an OCI layout directory, opened as a content target — what
// the ORAS CLI's `REF` and `--oci-layout DIR[:TAG]` name, for programs that take such strings.
#pragma once

#include <oras/auth/client.hpp>
#include <oras/content/target.hpp>
#include <oras/detail/async.hpp>
#include <oras/ops/copy.hpp>
#include <oras/registry/connect.hpp>
#include <oras/registry/repository.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/deferred.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::ops {

/// Splits `DIR[:tag[,tag...]]` or `DIR@digest` (a colon or `@` after the last `/`).
struct layout_reference {
    std::filesystem::path dir{};  ///< the text before the reference part; all of it if none
    std::string reference{};      ///< the tag list or the digest, empty if none
};
layout_reference split_layout_reference(std::string_view text);

/// Where an operation reads or writes.
struct location {
    /// A registry reference `registry/repository[:tag[,tag...]][@digest]`; with `oci_layout` a
    /// layout directory `DIR[:tag[,tag...]]` or `DIR@digest` (a `:` or `@` after the last `/`).
    std::string text{};
    /// `text` names an OCI image layout (the ORAS CLI's `--oci-layout`), not a registry.
    bool oci_layout = false;
    /// How to reach the registry (ignored for a layout).
    registry::connect_options remote{};
    /// When not empty, the OCI image layout directory, and `text` the whole reference inside it
    /// (the ORAS CLI's `--oci-layout-path`): a digest, or a tag list whose names may be any
    /// reference name of the image-layout spec (`example.com/app:v1,latest` names two). Implies
    /// a layout whatever `oci_layout` says.
    std::filesystem::path layout_path{};

    /// Whether this names an OCI image layout (`oci_layout` or `layout_path`).
    bool is_layout() const noexcept { return oci_layout || !layout_path.empty(); }
};

enum class open_mode {
    read,    ///< a layout must exist and is opened read-only
    update,  ///< a layout must exist (tag, attach, delete: nothing to do in a new one)
    write,   ///< a layout is created if missing
};

/// A target opened by `open_target`, with what the location's text named.
struct opened_target {
    /// The target, owned here: a `registry::repository_target` or a `content::oci_layout`.
    std::unique_ptr<content::target> target{};
    /// The tag (the first one of a list) or digest named, or empty when none was.
    std::string reference{};
    /// Every tag of a list (`repo:a,b` gives a and b); empty when no tag was named, and when a
    /// digest was (`repo:tag@digest` names the digest alone, as oras-go parses it).
    std::vector<std::string> tags{};
    /// For a layout: its directory, and whether this call created it (to remove it again when
    /// what it was created for fails).
    std::filesystem::path layout_dir{};
    bool created = false;  ///< the layout directory was missing and this call made it

    /// The target's repository when it is a registry's, else null.
    registry::repository* repository() const noexcept;
    /// How the ORAS CLI names it: `[registry] host/repo[:tag|@digest]` or `[oci-layout] DIR...`.
    std::string display{};
};

/// Opens `where`: a registry repository with its own HTTP and authenticating client on
/// `executor` (see `registry::connect`), or an OCI layout. Throws `oras::error`
/// (`invalid_reference`) for a malformed reference — nothing is sent.
opened_target open_target(boost::asio::any_io_executor executor, const location& where,
                          open_mode mode);

/// As above, but a registry repository shares `client` (connections, tokens), which must be
/// for the reference's registry.
opened_target open_target(auth::client client, const location& where, open_mode mode);

/// Copies the graph `from` names into `to` (see `ops::copy`), opening both: the tags of `to`'s
/// reference (`repo:a,b`) are added to `options.tags`; with no tag at all the graph is copied
/// untagged, as `oras cp` does (a `to@DIGEST` must then be the copied root's, and refuses
/// `options.tags`: they could not be checked against it); two ends
/// on one registry reached the same way share one client, so blobs are mounted; a destination
/// layout this call creates is removed again when the copy fails.
///
/// Lifetime: everything is taken by value; the targets live in the operation.
boost::asio::awaitable<copy_result> copy_locations(boost::asio::any_io_executor executor,
                                                   location from, location to,
                                                   copy_options options);

/// Completion-token form of `copy_locations`: with the default `deferred` (or `use_awaitable`)
/// the awaitable itself; with any other token it runs on `executor` and completes with
/// `void(std::exception_ptr, copy_result)`. Lifetime: as `copy_locations`.
template <class Token = boost::asio::deferred_t>
auto async_copy_locations(boost::asio::any_io_executor executor, location from, location to,
                          copy_options options, Token&& token = {}) {
    auto op = copy_locations(executor, std::move(from), std::move(to), std::move(options));
    return oras::detail::start(std::move(executor), std::move(op), std::forward<Token>(token));
}

}  // namespace oras::ops

#pragma GCC visibility pop
