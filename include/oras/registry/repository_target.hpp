// repository_target: a remote repository seen as a content target, for push, pull and copy.
#pragma once

#include <oras/content/target.hpp>
#include <oras/registry/repository.hpp>

namespace oras::registry {

/// Routes by media type: manifests and indexes go to the manifest endpoints (read whole, under
/// the repository's manifest size cap), everything else to the blob endpoints, streamed. Bodies
/// read from files or memory stay replayable, so transient failures are retried.
class repository_target final : public content::target {
  public:
    explicit repository_target(repository repo) : repo_(std::move(repo)) {}

    repository& repo() noexcept { return repo_; }

    boost::asio::awaitable<bool> exists(descriptor desc) override;
    boost::asio::awaitable<void> fetch(descriptor desc, content::write_fn sink) override;
    boost::asio::awaitable<void> push(descriptor desc, content::blob_reader src) override;
    boost::asio::awaitable<descriptor> push_unknown(std::string media_type,
                                                    content::blob_reader src) override;
    boost::asio::awaitable<descriptor> resolve(std::string reference) override;
    boost::asio::awaitable<void> tag(descriptor desc, std::string reference) override;
    boost::asio::awaitable<void> push_tagged(descriptor desc, content::blob_reader src,
                                             std::vector<std::string> references) override;

  private:
    repository repo_;
};

}  // namespace oras::registry
