// copy_tags: tags resolved first, then one copy per tag under a shared copy_context.
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/copy_context.hpp>
#include <oras/ops/copy_tags.hpp>
#include <oras/ops/discover.hpp>

#include "core/quote.hpp"

#include <algorithm>
#include <set>

namespace oras::ops {

namespace asio = boost::asio;
using oras::detail::quote;

namespace {

void collect(const std::vector<referrer_node>& nodes, std::set<std::string>& seen) {
    for (const auto& n : nodes) {
        seen.insert(n.desc.digest.str());
        collect(n.referrers, seen);
    }
}

// What a recursive copy of `root` would find: the referrers of the root and, for an index, of
// each of its manifests, and theirs, each counted once.
asio::awaitable<std::size_t> count_referrers(content::target& src, descriptor root) {
    std::set<std::string> seen;
    std::vector<descriptor> subjects{root};
    if (media_type::is_index(root.media_type)) {
        const auto bytes = co_await content::fetch_all(src, root);
        auto index = image_index::parse(bytes);
        if (!index) {
            throw error(index.error());
        }
        for (auto& m : index->manifests) {
            subjects.push_back(std::move(m));
        }
    }
    for (const auto& s : subjects) {
        // Named, not temporaries in the co_await (GCC 12 destroys those twice).
        std::string subject = s.digest.str();
        discover_options options;
        const auto found = co_await discover(src, std::move(subject), std::move(options));
        collect(found.referrers, seen);
    }
    co_return seen.size();
}

// A copy's failure, said to be that tag's (a cancellation as it is).
[[noreturn]] void rethrow_for_tag(const std::exception_ptr& failed, const std::string& tag) {
    try {
        std::rethrow_exception(failed);
    } catch (const error& e) {
        if (is_cancelled(e.code())) {
            throw;
        }
        std::string what = e.what();
        const auto suffix = ": " + e.code().message();
        if (what.ends_with(suffix)) {
            what.resize(what.size() - suffix.size());
        }
        throw error(e.code(), "copying the tag " + quote(tag) + ": " + what, e.diag());
    }
}

}  // namespace

asio::awaitable<copy_tags_result> copy_tags(content::target& src, content::target& dst,
                                            copy_tags_options o) {
    std::vector<std::string> tags;
    if (o.tags.empty()) {
        auto* lister = dynamic_cast<content::tag_lister*>(&src);
        if (lister == nullptr) {
            throw error(errc::unsupported,
                        "the source cannot list its tags: name the tags to copy");
        }
        tags = co_await lister->tags();
    } else {
        // Each once, in the order given.
        for (auto& t : o.tags) {
            if (std::find(tags.begin(), tags.end(), t) == tags.end()) {
                tags.push_back(std::move(t));
            }
        }
    }
    for (const auto& t : tags) {
        if (auto ok = dst.check_tag(t); !ok) {
            throw error(ok.error());
        }
    }
    std::vector<descriptor> roots;
    roots.reserve(tags.size());
    for (const auto& t : tags) {
        std::string reference = t;
        auto root = co_await src.resolve(std::move(reference));
        roots.push_back(std::move(root));
    }
    if (o.on_tags) {
        o.on_tags(tags);
    }

    copy_tags_result out;
    const auto context = std::make_shared<copy_context>(std::max<std::size_t>(o.concurrency, 1));
    for (std::size_t i = 0; i < tags.size(); ++i) {
        tag_copy done;
        done.tag = tags[i];
        done.root = roots[i];
        if (!o.dry_run) {
            copy_options co;
            co.tags = {tags[i]};
            co.recursive = o.referrers;
            co.concurrency = o.concurrency;
            co.progress = o.progress;
            co.context = context;
            co.cache = o.cache;
            descriptor root = roots[i];
            std::exception_ptr failed;
            copy_result r;
            try {
                r = co_await copy_graph(src, std::move(root), dst, std::move(co));
            } catch (const error&) {
                failed = std::current_exception();
            }
            if (failed) {
                rethrow_for_tag(failed, tags[i]);
            }
            done.copied = r.copied;
            done.bytes = r.bytes_copied;
            out.copied += r.copied;
            out.bytes += r.bytes_copied;
        }
        // Counted in the source, the same way with or without a copy (and whatever the
        // destination had already).
        if (o.referrers) {
            done.referrers = co_await count_referrers(src, roots[i]);
        }
        if (o.on_copied) {
            o.on_copied(done);
        }
        out.tags.push_back(std::move(done));
    }
    co_return out;
}

}  // namespace oras::ops
