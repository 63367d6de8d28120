// mirror: expand a plan into artifacts (catalog, tag lists, filters, shard), then copy them all
// under one copy_context, each failure kept to its own artifact.
#include <oras/auth/client.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/mirror.hpp>
#include <oras/reference.hpp>
#include <oras/registry/registry.hpp>
#include <oras/registry/repository_target.hpp>

#include "core/async/for_each_limited.hpp"
#include "core/async/shared_flight.hpp"
#include "ops/mirror_rule.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <filesystem>

namespace oras::ops {

namespace asio = boost::asio;
using detail::layout_scheme;
using detail::parse_rule;
using detail::parsed_rule;
using detail::source_spec;

namespace {

/// One artifact to copy, with the pieces the copy needs.
struct job {
    mirror_item item;
    std::string src_registry;
    std::string src_repository;
    std::string src_reference;  ///< tag or digest
    bool dst_layout = false;
    std::string dst_registry;
    std::string dst_path;  ///< repository or layout directory
    std::vector<std::string> tags;
};

std::string last_component(const std::string& repo) {
    const auto slash = repo.rfind('/');
    return slash == std::string::npos ? repo : repo.substr(slash + 1);
}

std::string join_tags(const std::vector<std::string>& tags) {
    std::string out;
    for (const auto& t : tags) {
        out += (out.empty() ? "" : ",") + t;
    }
    return out;
}

job make_job(const parsed_rule& r, std::size_t rule_index, const std::string& repo,
             const std::string& manifest_reference) {
    job j;
    j.src_registry = r.from.registry;
    j.src_repository = repo;
    j.src_reference = manifest_reference;
    const bool by_digest = manifest_reference.find(':') != std::string::npos;
    j.tags = r.to.tags;
    if (j.tags.empty() && !by_digest) {
        j.tags.push_back(manifest_reference);
    }
    const std::string rel = r.from.kind == source_spec::form::prefix
                                ? repo.substr(r.from.path.size())
                                : last_component(repo);
    j.dst_layout = r.to.layout;
    if (r.to.layout) {
        j.dst_path = r.from.kind == source_spec::form::prefix
                         ? (std::filesystem::path(r.to.path) / rel).string()
                         : r.to.path;
    } else {
        j.dst_registry = r.to.registry;
        j.dst_path = r.to.prefix ? r.to.path + rel : r.to.path;
    }
    j.item.rule = rule_index;
    j.item.source = j.src_registry + "/" + repo + (by_digest ? "@" : ":") + manifest_reference;
    const std::string tag_suffix = j.tags.empty() ? "" : ":" + join_tags(j.tags);
    j.item.destination = j.dst_layout ? std::string(layout_scheme) + j.dst_path + tag_suffix
                                      : j.dst_registry + "/" + j.dst_path + tag_suffix;
    return j;
}

mirror_artifact failed_entry(mirror_item item, const std::exception_ptr& e) {
    mirror_artifact a;
    a.item = std::move(item);
    a.action = mirror_action::failed;
    a.transient = is_transient(e);
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& se) {
        a.code = se.code();
        a.error = se.what();
    } catch (const boost::system::system_error& se) {
        a.code = se.code();
        a.error = se.what();
    } catch (const std::exception& ex) {
        a.error = ex.what();
    }
    return a;
}

/// Targets and clients of one run: one HTTP client per registry, one target per repository or
/// layout (so that the copy context tells destinations apart by identity).
class endpoints {
  public:
    endpoints(asio::any_io_executor ex, const mirror_plan& plan)
        : ex_(std::move(ex)), plan_(plan) {}

    const registry::connect_options& options_for(const std::string& reg) const {
        const auto it = plan_.registries.find(reg);
        return it == plan_.registries.end() ? plan_.defaults : it->second;
    }

    /// The registry's one client: its connection pools, cap on requests and tokens serve every
    /// repository of it, and blobs can be mounted between them.
    auth::client& client_for(const std::string& reg) {
        if (const auto it = clients_.find(reg); it != clients_.end()) {
            return it->second;
        }
        auto c = registry::client_for(ex_, reg, options_for(reg));
        return clients_.emplace(reg, std::move(c)).first->second;
    }

    registry::repository_target& repository(const std::string& reg, const std::string& repo) {
        const auto key = reg + "/" + repo;
        if (const auto it = targets_.find(key); it != targets_.end()) {
            return static_cast<registry::repository_target&>(*it->second);
        }
        auto ref = reference::parse(key);
        if (!ref) {
            throw error(ref.error());
        }
        auto t = std::make_unique<registry::repository_target>(
            registry::connect(client_for(reg), *ref, options_for(reg)));
        auto& out = *t;
        targets_.emplace(key, std::move(t));
        return out;
    }

    /// The layout at `dir`; nullptr when it does not exist and `create` is false.
    content::oci_layout* layout(const std::string& dir, bool create) {
        const auto key = std::string(layout_scheme) + dir;
        if (const auto it = targets_.find(key); it != targets_.end()) {
            return static_cast<content::oci_layout*>(it->second.get());
        }
        std::error_code ec;
        if (!create && !std::filesystem::exists(dir, ec)) {
            return nullptr;
        }
        content::oci_layout_options lo;
        lo.create = create;
        lo.read_only = !create;
        auto t = std::make_unique<content::oci_layout>(dir, lo);
        auto* out = t.get();
        targets_.emplace(key, std::move(t));
        return out;
    }

    registry::registry catalog_of(const std::string& reg) {
        return registry::registry(client_for(reg), reg,
                                  registry::repository_options_for(options_for(reg)));
    }

  private:
    asio::any_io_executor ex_;
    const mirror_plan& plan_;
    std::map<std::string, auth::client> clients_;
    std::map<std::string, std::unique_ptr<content::target>> targets_;
};

/// The artifacts of one rule, in a stable order (repositories, then tags, sorted).
asio::awaitable<std::vector<job>> expand_rule(endpoints& ends, const parsed_rule& r,
                                              std::size_t index) {
    std::vector<job> out;
    if (r.from.kind == source_spec::form::artifact) {
        out.push_back(make_job(r, index, r.from.path, r.from.manifest_reference));
        co_return out;
    }
    std::vector<std::string> repos;
    if (r.from.kind == source_spec::form::repository) {
        repos.push_back(r.from.path);
    } else {
        auto reg = ends.catalog_of(r.from.registry);
        auto all = co_await reg.catalog();
        for (auto& name : all) {
            if (name.starts_with(r.from.path) && name.size() > r.from.path.size()
                && r.repositories.keeps(name)) {
                repos.push_back(std::move(name));
            }
        }
        std::sort(repos.begin(), repos.end());
    }
    for (const auto& repo : repos) {
        auto& src = ends.repository(r.from.registry, repo);
        auto tags = co_await src.tags();
        std::sort(tags.begin(), tags.end());
        for (const auto& t : tags) {
            if (r.tags.keeps(t)) {
                out.push_back(make_job(r, index, repo, t));
            }
        }
    }
    co_return out;
}

}  // namespace

asio::awaitable<mirror_result> mirror(mirror_plan plan, mirror_options o) {
    // Every rule is checked before the first request.
    std::vector<parsed_rule> rules;
    for (std::size_t i = 0; i < plan.rules.size(); ++i) {
        auto p = parse_rule(plan.rules[i]);
        if (!p) {
            throw error(p.error().code, "sync[" + std::to_string(i) + "]." + p.error().message);
        }
        rules.push_back(std::move(*p));
    }
    if (o.shard.count == 0 || o.shard.index >= o.shard.count) {
        throw error(errc::invalid_argument, "shard index out of range");
    }
    const auto ex = co_await asio::this_coro::executor;
    endpoints ends(ex, plan);
    mirror_result result;

    // Expand, rule by rule; a source that cannot be listed is one failed entry.
    std::vector<job> jobs;
    for (std::size_t i = 0; i < rules.size(); ++i) {
        std::exception_ptr failure;
        try {
            auto expanded = co_await expand_rule(ends, rules[i], i);
            for (auto& j : expanded) {
                if (in_shard(j.item.source, o.shard)) {
                    jobs.push_back(std::move(j));
                }
            }
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (oras::is_cancelled(failure)) {
                std::rethrow_exception(failure);
            }
            auto entry =
                failed_entry(mirror_item{plan.rules[i].from, plan.rules[i].to, i}, failure);
            entry.error = "cannot list " + plan.rules[i].from + ": " + entry.error;
            result.artifacts.push_back(std::move(entry));
        }
    }
    if (o.on_planned) {
        o.on_planned(result.artifacts.size() + jobs.size());
    }
    if (o.on_artifact) {
        for (const auto& failed : result.artifacts) {
            o.on_artifact(failed);  // the sources that could not be listed
        }
    }

    auto context = std::make_shared<copy_context>(o.concurrency);
    const auto listing_failures = result.artifacts.size();
    result.artifacts.resize(listing_failures + jobs.size());
    std::function<asio::awaitable<void>(std::size_t)> task =
        [&](std::size_t i) -> asio::awaitable<void> {
        const auto& j = jobs[i];
        const auto& r = plan.rules[j.item.rule];
        auto& out = result.artifacts[listing_failures + i];
        out.item = j.item;
        std::exception_ptr failure;
        try {
            auto& src = ends.repository(j.src_registry, j.src_repository);
            content::target* dst = nullptr;
            if (j.dst_layout) {
                dst = ends.layout(j.dst_path, !o.dry_run);
            } else {
                dst = &ends.repository(j.dst_registry, j.dst_path);
            }
            if (o.dry_run) {
                const auto root = co_await src.resolve(j.src_reference);
                out.digest = root.digest.str();
                out.action = mirror_action::planned;
                if (dst != nullptr && !j.tags.empty()) {
                    bool current = true;
                    for (const auto& t : j.tags) {
                        std::optional<descriptor> have;
                        try {
                            have = co_await dst->resolve(t);
                        } catch (const error& e) {
                            if (e.code() != errc::not_found) {
                                throw;
                            }
                        }
                        current = current && have && have->digest == root.digest;
                    }
                    if (current) {
                        out.action = mirror_action::skipped;
                    }
                }
            } else {
                copy_options co;
                co.tags = j.tags;
                co.recursive = r.referrers;
                co.platform = r.platform;
                co.max_depth = o.max_depth;
                co.max_manifest_size = o.max_manifest_size;
                co.progress = o.progress;
                co.context = context;
                const auto copied = co_await copy(src, j.src_reference, *dst, std::move(co));
                out.digest = copied.root.digest.str();
                out.bytes = copied.bytes_copied;
                out.blobs_copied = copied.blobs_copied;
                out.mounted = copied.mounted;
                out.action = copied.copied == 0 && copied.mounted == 0 ? mirror_action::skipped
                                                                       : mirror_action::copied;
            }
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure) {
            if (oras::is_cancelled(failure)) {
                std::rethrow_exception(failure);
            }
            auto digest = std::move(out.digest);
            out = failed_entry(j.item, failure);
            out.digest = std::move(digest);
        }
        if (o.on_artifact) {
            o.on_artifact(out);
        }
    };
    const auto in_flight = o.artifacts_in_flight != 0 ? o.artifacts_in_flight
                                                      : 2 * std::max<std::size_t>(1, o.concurrency);
    co_await oras::detail::for_each_limited(jobs.size(), in_flight, task);

    for (const auto& a : result.artifacts) {
        switch (a.action) {
            case mirror_action::copied:
                ++result.copied;
                break;
            case mirror_action::skipped:
                ++result.skipped;
                break;
            case mirror_action::failed:
                ++result.failed;
                break;
            case mirror_action::planned:
                ++result.planned;
                break;
        }
        result.bytes += a.bytes;
    }
    result.transfers = context->stats();
    co_return result;
}

}  // namespace oras::ops
