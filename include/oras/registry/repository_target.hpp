// repository_target: a remote repository seen as a content target, for push, pull and copy.
#pragma once

#include <oras/content/target.hpp>
#include <oras/registry/repository.hpp>

#pragma GCC visibility push(default)

namespace oras::registry {

/// Routes by media type: manifests and indexes go to the manifest endpoints (read whole, under
/// the repository's manifest size cap), everything else to the blob endpoints, streamed. Bodies
/// read from files or memory stay replayable, so transient failures are retried.
///
/// Capabilities: mounts blobs from another repository of the same registry, lists referrers
/// (the referrers API or the fallback tag index) and tags, deletes.
class repository_target final : public content::target,
                                public content::mounter,
                                public content::referrer_lister,
                                public content::tag_lister,
                                public content::deleter,
                                public content::ranged_opener,
                                public content::reference_fetcher {
  public:
    /// Wraps `repo` (a copy: copies of a repository share their state).
    explicit repository_target(repository repo) : repo_(std::move(repo)) {}

    /// The wrapped repository, for what the target interface does not offer.
    repository& repo() noexcept { return repo_; }

    boost::asio::awaitable<bool> exists(descriptor desc) override;
    boost::asio::awaitable<byte_source> open(descriptor desc) override;
    boost::asio::awaitable<void> fetch(descriptor desc, byte_sink sink) override;
    boost::asio::awaitable<void> push(descriptor desc, byte_source src) override;
    /// One GET of the manifest (`repository::fetch_manifest`): refused unread beyond the
    /// repository's `max_manifest_size`, refused once read beyond `limit`.
    boost::asio::awaitable<std::pair<descriptor, std::string>> fetch_reference(
        std::string reference, std::size_t limit) override;
    /// Blobs: `repository::push_blob_unless_present`; manifests as the default does.
    boost::asio::awaitable<bool> push_unless_present(descriptor desc,
                                                     content::opener open) override;
    boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                    byte_source src) override;
    boost::asio::awaitable<descriptor> resolve(std::string reference) override;
    boost::asio::awaitable<void> tag(descriptor desc, std::string reference) override;
    boost::asio::awaitable<void> push_tagged(descriptor desc, byte_source src,
                                             std::vector<std::string> references) override;

    /// Mounts when `source` is a repository of the same registry (same scheme, host and port)
    /// other than this one; false for anything else, without a request.
    boost::asio::awaitable<bool> mount(descriptor desc, content::target& source) override;
    bool can_mount_from(const content::target& source) const override;
    boost::asio::awaitable<std::vector<descriptor>> referrers(descriptor subject,
                                                              std::string artifact_type) override;
    /// Every tag of the repository, following pagination (`repository::tags`).
    boost::asio::awaitable<std::vector<std::string>> tags() override;
    /// A manifest or index by digest (the registry drops its tags), else a blob.
    boost::asio::awaitable<void> remove(descriptor desc) override;
    /// A blob from `offset` (`repository::open_blob_from`); `unsupported` for a manifest.
    boost::asio::awaitable<byte_source> open_from(descriptor desc, std::uint64_t offset) override;

  private:
    repository repo_;
};

}  // namespace oras::registry

#pragma GCC visibility pop
