// mirror: expand a plan into artifacts (catalog, tag lists, filters, shard), then copy them all
// under one copy_context, each failure kept to its own artifact.
#include <oras/auth/client.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/mirror.hpp>
#include <oras/reference.hpp>
#include <oras/registry/registry.hpp>
#include <oras/registry/repository_target.hpp>

#include "core/async/for_each_limited.hpp"
#include "core/async/shared_flight.hpp"
#include "core/quote.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <regex>
#include <set>

namespace oras::ops {

namespace asio = boost::asio;
using oras::detail::quote;

namespace {

constexpr std::string_view layout_scheme = "oci-layout:";

/// A rule's `from`, parsed.
struct source_spec {
    enum class form { artifact, repository, prefix };
    form kind = form::artifact;
    std::string registry;
    std::string path;  ///< repository, or prefix (ending in '/', or empty for the whole registry)
    std::string manifest_reference;  ///< artifact: the tag or digest
};

/// A rule's `to`, parsed.
struct dest_spec {
    bool layout = false;
    bool prefix = false;
    std::string registry;
    std::string path;  ///< repository, prefix (ending in '/'), or the layout directory
    std::vector<std::string> tags;
};

failure bad(std::string_view field, std::string message) {
    return failure{make_error_code(errc::invalid_argument),
                   std::string(field) + ": " + std::move(message)};
}

/// `host/` or `host/path/`: the registry, and the path with its trailing '/' (or empty).
result<std::pair<std::string, std::string>> parse_prefix(std::string_view field,
                                                         std::string_view text) {
    const auto slash = text.find('/');
    std::pair<std::string, std::string> out{text.substr(0, slash), text.substr(slash + 1)};
    if (auto v = validate_registry(out.first); !v) {
        return bad(field, quote(text) + ": " + v.error().message);
    }
    if (!out.second.empty()) {
        if (auto v = validate_repository(out.second.substr(0, out.second.size() - 1)); !v) {
            return bad(field, quote(text) + ": " + v.error().message);
        }
    }
    return out;
}

result<source_spec> parse_source(std::string_view from) {
    source_spec s;
    if (from.empty()) {
        return bad("from", "empty");
    }
    if (from.starts_with(layout_scheme)) {
        return bad("from",
                   quote(from) + ": an OCI layout cannot be a mirror source (copy it with `cp`)");
    }
    if (from.ends_with('/')) {
        s.kind = source_spec::form::prefix;
        auto p = parse_prefix("from", from);
        if (!p) {
            return failure{p.error()};
        }
        s.registry = std::move(p->first);
        s.path = std::move(p->second);
        return s;
    }
    auto ref = reference::parse(from);
    if (!ref) {
        return bad("from", ref.error().message);
    }
    s.registry = ref->registry();
    s.path = ref->repository();
    s.manifest_reference = ref->manifest_reference();
    s.kind =
        s.manifest_reference.empty() ? source_spec::form::repository : source_spec::form::artifact;
    return s;
}

result<dest_spec> parse_dest(std::string_view to) {
    dest_spec d;
    if (to.empty()) {
        return bad("to", "empty");
    }
    if (to.starts_with(layout_scheme)) {
        d.layout = true;
        auto split = blocking::split_layout_reference(to.substr(layout_scheme.size()));
        if (split.dir.empty()) {
            return bad("to", quote(to) + ": name the layout directory, oci-layout:DIR");
        }
        if (!split.reference.empty()) {
            if (split.reference.find(':') != std::string::npos) {
                return bad("to", quote(to) + ": a destination is tagged, not given a digest");
            }
            auto tags = parse_tag_list(split.reference);
            if (!tags) {
                return bad("to", tags.error().message);
            }
            d.tags = std::move(*tags);
        }
        d.path = split.dir.string();
        return d;
    }
    if (to.ends_with('/')) {
        d.prefix = true;
        auto p = parse_prefix("to", to);
        if (!p) {
            return failure{p.error()};
        }
        d.registry = std::move(p->first);
        d.path = std::move(p->second);
        return d;
    }
    auto split = split_tags(to);
    if (!split) {
        return bad("to", split.error().message);
    }
    auto ref = reference::parse(split->reference);
    if (!ref) {
        return bad("to", ref.error().message);
    }
    if (ref->has_digest()) {
        return bad("to", quote(to) + ": a destination is tagged, not given a digest");
    }
    d.registry = ref->registry();
    d.path = ref->repository();
    d.tags = std::move(split->tags);
    return d;
}

/// Compiled filters.
struct compiled_filter {
    std::vector<std::regex> allow;
    std::vector<std::regex> deny;

    bool keeps(const std::string& name) const {
        const auto hit = [&name](const std::regex& r) { return std::regex_search(name, r); };
        return (allow.empty() || std::any_of(allow.begin(), allow.end(), hit))
               && std::none_of(deny.begin(), deny.end(), hit);
    }
};

result<compiled_filter> compile(const name_filter& f, std::string_view field) {
    compiled_filter out;
    const auto one = [&](const std::vector<std::string>& patterns, std::string_view which,
                         std::vector<std::regex>& into) -> result<void> {
        for (std::size_t i = 0; i < patterns.size(); ++i) {
            try {
                into.emplace_back(patterns[i], std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                return bad(
                    std::string(field) + "." + std::string(which) + "[" + std::to_string(i) + "]",
                    quote(patterns[i]) + " is not a regular expression (" + e.what() + ")");
            }
        }
        return {};
    };
    if (auto r = one(f.allow, "allow", out.allow); !r) {
        return failure{r.error()};
    }
    if (auto r = one(f.deny, "deny", out.deny); !r) {
        return failure{r.error()};
    }
    return out;
}

/// A rule, parsed and compiled.
struct parsed_rule {
    source_spec from;
    dest_spec to;
    compiled_filter tags;
    compiled_filter repositories;
};

result<parsed_rule> parse_rule(const mirror_rule& rule) {
    parsed_rule p;
    auto from = parse_source(rule.from);
    if (!from) {
        return failure{from.error()};
    }
    auto to = parse_dest(rule.to);
    if (!to) {
        return failure{to.error()};
    }
    if (from->kind == source_spec::form::prefix && !to->prefix && !to->layout) {
        return bad("to", quote(rule.to) + ": the source " + quote(rule.from)
                             + " is a prefix: give a destination prefix (ending in '/') or "
                               "oci-layout:DIR");
    }
    if (!to->tags.empty() && from->kind != source_spec::form::artifact) {
        return bad("to", quote(rule.to) + ": tags can be given only for one source artifact");
    }
    auto tags = compile(rule.tags, "tags");
    if (!tags) {
        return failure{tags.error()};
    }
    auto repos = compile(rule.repositories, "repositories");
    if (!repos) {
        return failure{repos.error()};
    }
    p.from = std::move(*from);
    p.to = std::move(*to);
    p.tags = std::move(*tags);
    p.repositories = std::move(*repos);
    return p;
}

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

std::string_view to_string(mirror_action a) noexcept {
    switch (a) {
        case mirror_action::copied:
            return "copied";
        case mirror_action::skipped:
            return "skipped";
        case mirror_action::failed:
            return "failed";
        case mirror_action::planned:
            return "planned";
    }
    return "unknown";
}

result<void> validate(const mirror_rule& rule) {
    auto p = parse_rule(rule);
    if (!p) {
        return failure{p.error()};
    }
    return {};
}

result<mirror_shard> parse_shard(std::string_view text) {
    const auto slash = text.find('/');
    mirror_shard s;
    const auto number = [](std::string_view t, std::size_t& v) {
        const auto* end = t.data() + t.size();
        auto [p, ec] = std::from_chars(t.data(), end, v);
        return !t.empty() && ec == std::errc{} && p == end;
    };
    if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index)
        || !number(text.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count) {
        return failure{make_error_code(errc::invalid_argument),
                       "shard " + quote(text) + " is not I/N with 0 <= I < N"};
    }
    return s;
}

bool in_shard(std::string_view source, mirror_shard shard) noexcept {
    if (shard.count <= 1) {
        return true;
    }
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : source) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h % shard.count == shard.index;
}

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
