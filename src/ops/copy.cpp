// copy: walk the graph top-down with one existence check per node, move bytes bottom-up
// (blobs, then manifests by height), tag the root last.
#include <oras/artifact_manifest.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/copy.hpp>
#include <oras/reference.hpp>

#include "core/async/for_each_limited.hpp"
#include "core/async/shared_flight.hpp"
#include "core/children.hpp"
#include "core/quote.hpp"
#include "ops/copy_context_state.hpp"
#include "ops/emit.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace oras::ops {

namespace asio = boost::asio;
using detail::counted;
using detail::emit;
using oras::detail::children_of;
using oras::detail::quote;

namespace {

// The artifact manifest too: registries and layouts that ORAS 1.0 (`--image-spec
// v1.1-artifact`) and its release candidates wrote to still hold them (signatures,
// SBOMs attached then), and a mirror that took one for a blob would copy it without its blobs.
bool is_manifest_node(std::string_view t) {
    return media_type::is_graph_manifest(t);
}

/// A manifest or index the destination lacks: pushed once its children are there.
struct pending_manifest {
    descriptor desc;
    std::string bytes;
    unsigned height = 1;  // 1 + the tallest child; blobs are 0
};

class copier {
  public:
    copier(content::target& src, content::target& dst, const copy_options& o, copy_result& r)
        : src_(src), dst_(dst), o_(o), r_(r) {}

    /// Looks at `desc` and, unless the destination has it, at everything under it; records
    /// the blobs to move and the manifests to push. Returns the node's height.
    asio::awaitable<unsigned> walk(descriptor desc, unsigned depth) {
        const auto key = desc.digest.str();
        if (const auto it = heights_.find(key); it != heights_.end()) {
            co_return it->second;
        }
        auto visit = [this, desc, depth]() -> asio::awaitable<unsigned> {
            const auto h = co_await visit_node(desc, depth);
            heights_.emplace(desc.digest.str(), h);
            co_return h;
        };
        co_return co_await oras::detail::share_flight<unsigned>(walking_, key, visit);
    }

    /// Moves every recorded blob: exists, mounted, or streamed source → destination.
    asio::awaitable<void> transfer_blobs() {
        auto blobs = std::move(blobs_);
        blobs_.clear();
        std::function<asio::awaitable<void>(std::size_t)> task =
            [this, &blobs](std::size_t i) -> asio::awaitable<void> {
            co_await transfer_blob(blobs[i]);
        };
        // With a context its budget is the limit; every blob may wait in its queue.
        const auto limit = o_.context ? o_.context->max_transfers() : o_.concurrency;
        co_await oras::detail::for_each_limited(blobs.size(), limit, task);
    }

    /// Pushes the recorded manifests, lowest first, all of one height at once; `root` (if
    /// recorded) is left for the caller.
    asio::awaitable<void> push_manifests(const digest* root) {
        auto pending = std::move(pending_);
        pending_.clear();
        std::map<unsigned, std::vector<pending_manifest*>> by_height;
        for (auto& m : pending) {
            if (root == nullptr || m.desc.digest != *root) {
                by_height[m.height].push_back(&m);
            }
        }
        for (auto& entry : by_height) {
            auto& level = entry.second;
            std::function<asio::awaitable<void>(std::size_t)> task =
                [this, &level](std::size_t i) -> asio::awaitable<void> {
                std::vector<std::string> no_tags;  // named: no braced temporary in a co_await
                co_await push_manifest(*level[i], std::move(no_tags));
            };
            co_await oras::detail::for_each_limited(level.size(), o_.concurrency, task);
        }
        for (auto& m : pending) {
            if (root != nullptr && m.desc.digest == *root) {
                root_pending_ = std::move(m);
            }
        }
    }

    /// The root's bytes when the walk found the destination lacking it.
    std::optional<pending_manifest>& root_pending() { return root_pending_; }

    asio::awaitable<void> push_manifest(pending_manifest& m, std::vector<std::string> tags) {
        emit(o_.progress, progress_event::kind::started, m.desc, name_of(m.desc));
        auto reader = byte_source::from_string(m.bytes);
        reader.set_checked(byte_source::check::hashed);  // when it was fetched from the source
        co_await dst_.push_tagged(m.desc, std::move(reader), std::move(tags));
        ++r_.copied;
        r_.bytes_copied += static_cast<std::uint64_t>(m.desc.size);
        emit(o_.progress, progress_event::kind::finished, m.desc, name_of(m.desc),
             static_cast<std::uint64_t>(m.desc.size));
    }

    /// Every manifest node seen so far (those the destination had included), for referrers.
    std::vector<descriptor> take_manifest_nodes() {
        auto out = std::move(manifest_nodes_);
        manifest_nodes_.clear();
        return out;
    }

    bool seen(const digest& d) const { return heights_.contains(d.str()); }

  private:
    asio::awaitable<unsigned> visit_node(descriptor desc, unsigned depth) {
        ++r_.nodes;
        if (!is_manifest_node(desc.media_type)) {
            blobs_.push_back(std::move(desc));
            co_return 0;
        }
        if (depth > o_.max_depth) {
            throw error(errc::invalid_manifest, "the graph is nested deeper than "
                                                    + std::to_string(o_.max_depth) + " levels at "
                                                    + desc.digest.str());
        }
        manifest_nodes_.push_back(desc);
        bool present = false;
        if (!o_.traverse_existing) {
            present = co_await dst_.exists(desc);
        }
        if (present) {
            // A manifest the destination has comes with its graph (as in oras-go).
            ++r_.skipped;
            r_.bytes_skipped += static_cast<std::uint64_t>(desc.size);
            emit(o_.progress, progress_event::kind::exists, desc, name_of(desc));
            co_return 0;
        }
        auto bytes = co_await content::fetch_all(src_, desc, o_.max_manifest_size);
        parse_options po;
        po.max_size = o_.max_manifest_size;
        auto children = children_of(desc, bytes, po);
        if (o_.include) {
            std::erase_if(children, [this](const descriptor& child) {
                if (o_.include(child)) {
                    return false;
                }
                ++r_.excluded;
                emit(o_.progress, progress_event::kind::skipped, child, name_of(child));
                return true;
            });
        }
        auto heights = std::make_shared<std::vector<unsigned>>(children.size(), 0);
        std::function<asio::awaitable<void>(std::size_t)> task =
            [this, &children, heights, depth](std::size_t i) -> asio::awaitable<void> {
            (*heights)[i] = co_await walk(children[i], depth + 1);
        };
        co_await oras::detail::for_each_limited(children.size(), o_.concurrency, task);
        unsigned height = 1;
        for (const auto h : *heights) {
            height = std::max(height, h + 1);
        }
        pending_.push_back(pending_manifest{std::move(desc), std::move(bytes), height});
        co_return height;
    }

    asio::awaitable<void> transfer_blob(descriptor desc) {
        if (!o_.context) {
            co_await move_blob(std::move(desc), nullptr);
            co_return;
        }
        auto& ctx = o_.context->state();
        if (ctx.has(&dst_, desc.digest)) {
            ++ctx.stats.known;
            note_present(desc, progress_event::kind::exists);
            co_return;
        }
        // Copies sharing the context and needing this blob in this destination wait for the
        // first one instead of sending it again.
        bool mine = false;
        const auto key = detail::copy_context_state::key(&dst_, desc.digest);
        auto move = [this, &ctx, &desc, &mine, &key]() -> asio::awaitable<bool> {
            mine = true;
            co_await await_sibling(ctx, desc.digest);
            // Marked before waiting for the budget, so that a copy into a sibling arriving
            // meanwhile waits for this one instead of racing it.
            const auto d = desc.digest.str();
            ctx.moving.insert_or_assign(d, std::make_pair(&dst_, key));
            struct unmark {
                detail::copy_context_state& c;
                const std::string& d;
                const std::string& k;
                ~unmark() {
                    if (const auto it = c.moving.find(d);
                        it != c.moving.end() && it->second.second == k) {
                        c.moving.erase(it);
                    }
                }
            } guard{ctx, d, key};
            auto permit = co_await ctx.budget.acquire_permit();
            ++ctx.stats.transfers;
            co_await move_blob(desc, &ctx);
            ctx.record(&dst_, desc.digest);
            co_return true;
        };
        // When the copy that led failed, perhaps for its own source's sake (a blob it lacks, a
        // refusal), this copy moves the blob from its own source.
        co_await oras::detail::share_flight_or_own<bool>(ctx.flights, key, move);
        if (!mine) {
            ++ctx.stats.shared;
            note_present(desc, progress_event::kind::exists);
        }
    }

    /// When another destination this one can mount from is moving `d` right now, waits for it
    /// to finish (the blob is then mounted from there, not sent again).
    asio::awaitable<void> await_sibling(detail::copy_context_state& ctx, const digest& d) {
        auto* m = dynamic_cast<content::mounter*>(&dst_);
        const auto it = ctx.moving.find(d.str());
        if (m == nullptr || it == ctx.moving.end() || it->second.first == &dst_
            || !m->can_mount_from(*it->second.first)) {
            co_return;
        }
        const auto f = ctx.flights.find(it->second.second);
        if (f == ctx.flights.end()) {
            co_return;
        }
        const auto flight = f->second;
        co_await oras::detail::wait_for(flight);
    }

    /// Counts `desc` as already at the destination.
    void note_present(const descriptor& desc, progress_event::kind k) {
        if (k == progress_event::kind::mounted) {
            ++r_.mounted;
        } else {
            ++r_.skipped;
        }
        r_.bytes_skipped += static_cast<std::uint64_t>(desc.size);
        emit(o_.progress, k, desc, name_of(desc));
    }

    /// Exists, else mounted (from the source, or from a destination the context knows has
    /// it), else streamed source -> destination.
    asio::awaitable<void> move_blob(descriptor desc, detail::copy_context_state* ctx) {
        const auto name = name_of(desc);
        if (only_sent(desc, ctx)) {
            // Nothing to mount from, continue or read from the cache: the destination is asked
            // and handed the bytes in one step (one request fewer for a small blob to a
            // registry), the source opened only when they are wanted.
            content::opener open = [this, &desc, &name]() -> asio::awaitable<byte_source> {
                emit(o_.progress, progress_event::kind::started, desc, name);
                auto reader = co_await src_.open(desc);
                co_return counted(std::move(reader), o_.progress, desc, name);
            };
            if (co_await dst_.push_unless_present(desc, std::move(open))) {
                note_present(desc, progress_event::kind::exists);
            } else {
                blob_landed(desc, name, static_cast<std::uint64_t>(desc.size));
            }
            co_return;
        }
        if (co_await dst_.exists(desc)) {
            note_present(desc, progress_event::kind::exists);
            co_return;
        }
        if (auto* m = dynamic_cast<content::mounter*>(&dst_)) {
            if (co_await m->mount(desc, src_)) {
                note_present(desc, progress_event::kind::mounted);
                co_return;
            }
            if (ctx != nullptr) {
                // At most two mount requests: a registry that declines twice (permissions,
                // a policy) would decline the others too, and each costs a round trip.
                std::size_t tries = 0;
                for (auto* holder : ctx->holders(desc.digest)) {
                    if (holder == &dst_ || holder == &src_ || !m->can_mount_from(*holder)) {
                        continue;
                    }
                    if (tries++ == 2) {
                        break;
                    }
                    const bool mounted = co_await m->mount(desc, *holder);
                    if (mounted) {
                        ++ctx->stats.sibling_mounts;
                        note_present(desc, progress_event::kind::mounted);
                        co_return;
                    }
                }
            }
        }
        emit(o_.progress, progress_event::kind::started, desc, name);
        // The cache first: a blob it holds crosses no network, and its full write replaces
        // any partial file an earlier process left.
        if (co_await copy_from_cache(desc, name)) {
            co_return;
        }
        if (co_await resume_blob(desc, name)) {
            co_return;
        }
        auto reader = co_await src_.open(desc);
        if (o_.cache) {
            reader = o_.cache->tee(desc, std::move(reader));
        }
        auto watched = counted(std::move(reader), o_.progress, desc, name);
        co_await dst_.push(desc, std::move(watched));
        blob_landed(desc, name, static_cast<std::uint64_t>(desc.size));
    }

    /// Whether `desc` can only be sent: no mount could bring it, the destination keeps no
    /// partial copies, and there is no cache to read it from.
    bool only_sent(const descriptor& desc, detail::copy_context_state* ctx) {
        if (o_.cache || dynamic_cast<content::resumable*>(&dst_) != nullptr) {
            return false;
        }
        auto* m = dynamic_cast<content::mounter*>(&dst_);
        if (m == nullptr) {
            return true;
        }
        if (m->can_mount_from(src_)) {
            return false;
        }
        if (ctx != nullptr) {
            for (auto* holder : ctx->holders(desc.digest)) {
                if (holder != &dst_ && holder != &src_ && m->can_mount_from(*holder)) {
                    return false;
                }
            }
        }
        return true;
    }

    /// Counts a blob that is now at the destination, `sent` of its bytes having crossed, and
    /// reports it finished.
    void blob_landed(const descriptor& desc, const std::string& name, std::uint64_t sent) {
        ++r_.copied;
        ++r_.blobs_copied;
        r_.bytes_copied += sent;
        emit(o_.progress, progress_event::kind::finished, desc, name,
             static_cast<std::uint64_t>(desc.size));
    }

    /// Copies `desc` from the blob cache. False when it is not cached, or when the entry turns
    /// out damaged as it is read: the cache then drops it, the destination has refused the
    /// bytes (they are verified before their end), and the caller fetches the blob instead.
    asio::awaitable<bool> copy_from_cache(descriptor desc, std::string name) {
        if (!o_.cache) {
            co_return false;
        }
        // Set when the entry itself fails, not the destination.
        auto broke = std::make_shared<bool>(false);
        auto hit = o_.cache->open(desc, [broke] { *broke = true; });
        if (!hit) {
            co_return false;
        }
        auto watched = counted(std::move(*hit), o_.progress, desc, name);
        std::exception_ptr failed;
        try {
            co_await dst_.push(desc, std::move(watched));
        } catch (...) {
            failed = std::current_exception();
        }
        if (failed) {
            if (!*broke) {
                std::rethrow_exception(failed);
            }
            co_return false;
        }
        ++r_.cached;
        blob_landed(desc, name, static_cast<std::uint64_t>(desc.size));
        co_return true;
    }

    /// Continues a transfer an earlier process left half done at a destination that kept it,
    /// from a source that serves ranges, or has the destination verify a blob it kept whole
    /// (from any source, which is not asked for anything). False when there is nothing to
    /// continue.
    asio::awaitable<bool> resume_blob(descriptor desc, std::string name) {
        auto* dst = dynamic_cast<content::resumable*>(&dst_);
        auto* src = dynamic_cast<content::ranged_opener*>(&src_);
        if (dst == nullptr) {
            co_return false;
        }
        const auto have = dst->partial_size(desc);
        const bool whole = have == static_cast<std::uint64_t>(desc.size);
        if (have == 0 || (src == nullptr && !whole)) {
            co_return false;
        }
        std::optional<byte_source> rest;
        if (whole) {
            // Whole already (written before a commit that never came): only verified, by
            // the destination; no request at all.
            rest = byte_source::from_string({});
        }
        try {
            if (!rest) {
                rest = co_await src->open_from(desc, have);
            }
        } catch (const error&) {
            // A source that will not continue from `have` (no ranges, a Content-Range that
            // starts elsewhere, a 416, a proxy that refuses ranges) may still send the whole
            // blob, whose full write replaces the partial file: refusing here would fail every
            // later run on the same partial file. A cancellation, or a failure the source
            // might not repeat, is the copy's.
            const auto e = std::current_exception();
            if (is_cancelled(e) || is_transient(e)) {
                throw;
            }
        }
        if (!rest) {
            co_return false;
        }
        emit(o_.progress, progress_event::kind::resumed, desc, name, have);
        auto watched = counted(std::move(*rest), o_.progress, desc, name, have);
        std::exception_ptr failed;
        try {
            co_await dst->push_rest(desc, have, std::move(watched));
        } catch (const error& e) {
            // The partial file taken or finished by another process since it was measured
            // (invalid_argument), or kept bytes that were not the blob's (a digest or size
            // mismatch; the destination has dropped them): the whole blob is copied instead.
            // A source at fault fails that copy on its own.
            if (e.code() != errc::invalid_argument && e.code() != errc::digest_mismatch
                && e.code() != errc::size_mismatch) {
                throw;
            }
            failed = std::current_exception();
        }
        if (failed) {
            // Started again from nothing: said so, so that a bar counting from what was kept
            // starts over too.
            emit(o_.progress, progress_event::kind::resumed, desc, name, 0);
            co_return false;
        }
        ++r_.resumed;
        blob_landed(desc, name, static_cast<std::uint64_t>(desc.size) - have);
        co_return true;
    }

    std::string name_of(const descriptor& d) const {
        return o_.name ? o_.name(d) : std::string(d.annotation(annotation::title));
    }

    content::target& src_;
    content::target& dst_;
    const copy_options& o_;
    copy_result& r_;
    std::unordered_map<std::string, unsigned> heights_;
    oras::detail::flight_map<unsigned> walking_;
    std::vector<descriptor> blobs_;
    std::vector<pending_manifest> pending_;
    std::vector<descriptor> manifest_nodes_;
    std::optional<pending_manifest> root_pending_;
};

asio::awaitable<void> copy_referrers(copier& c, content::referrer_lister& lister,
                                     const copy_options& o, copy_result& r,
                                     std::vector<descriptor> subjects) {
    for (unsigned level = 0; !subjects.empty(); ++level) {
        if (level > o.max_depth) {
            throw error(errc::invalid_manifest,
                        "referrers nested deeper than " + std::to_string(o.max_depth) + " levels");
        }
        std::vector<descriptor> found;
        for (const auto& s : subjects) {
            auto list = co_await lister.referrers(s, {});
            for (auto& d : list) {
                if (!is_manifest_node(d.media_type) || c.seen(d.digest)) {
                    continue;
                }
                if (std::any_of(found.begin(), found.end(),
                                [&](const descriptor& f) { return f.digest == d.digest; })) {
                    continue;
                }
                found.push_back(std::move(d));
            }
        }
        r.referrers += found.size();
        for (auto& d : found) {
            co_await c.walk(d, 0);
        }
        subjects = c.take_manifest_nodes();
    }
    co_await c.transfer_blobs();
    co_await c.push_manifests(nullptr);
}

}  // namespace

copy_context::copy_context(std::size_t max_transfers)
    : state_(
        std::make_unique<detail::copy_context_state>(std::max<std::size_t>(1, max_transfers))) {}
copy_context::~copy_context() = default;
std::size_t copy_context::max_transfers() const noexcept {
    return state_->max_transfers;
}
copy_context::statistics copy_context::stats() const noexcept {
    return state_->stats;
}

asio::awaitable<copy_result> copy(content::target& src, std::string reference, content::target& dst,
                                  copy_options options) {
    auto root = co_await src.resolve(reference);
    if (options.tags.empty() && !digest::parse(reference)) {
        options.tags.push_back(reference);  // a tag, not a digest
    }
    co_return co_await copy_graph(src, std::move(root), dst, std::move(options));
}

asio::awaitable<copy_result> copy_graph(content::target& src, descriptor root, content::target& dst,
                                        copy_options o) {
    if (o.concurrency == 0) {
        o.concurrency = 1;
    }
    for (const auto& t : o.tags) {
        if (auto v = dst.check_tag(t); !v) {
            throw error(v.error());
        }
    }
    auto* lister = dynamic_cast<content::referrer_lister*>(&src);
    if (o.recursive && lister == nullptr) {
        throw error(errc::unsupported, "the source cannot list referrers (recursive copy)");
    }
    if (o.platform) {
        root = co_await select_platform(src, std::move(root), *o.platform, o.max_manifest_size);
    }
    copy_result r;
    r.root = root;
    r.tags = o.tags;
    // Tags that already name the root cost one request each and prove the graph is there: an
    // unchanged artifact is then resolved on each side and nothing more.
    std::vector<std::string> stale;
    bool root_present = false;
    for (const auto& t : o.tags) {
        std::optional<descriptor> current;
        try {
            current = co_await dst.resolve(t);
        } catch (const error& e) {
            if (e.code() != errc::not_found) {
                throw;
            }
        }
        if (current && current->digest == root.digest) {
            root_present = true;
        } else {
            stale.push_back(t);
        }
    }
    // Looked into all the same when told to: the graph under it may be incomplete.
    const bool skip_root = root_present && !o.traverse_existing;
    copier c(src, dst, o, r);
    if (skip_root) {
        ++r.nodes;
        ++r.skipped;
        r.bytes_skipped += static_cast<std::uint64_t>(root.size);
        emit(o.progress, progress_event::kind::exists, root,
             o.name ? o.name(root) : std::string(root.annotation(annotation::title)));
    } else {
        co_await c.walk(root, 0);
        co_await c.transfer_blobs();
        co_await c.push_manifests(&root.digest);
    }
    if (auto& pending = c.root_pending()) {
        co_await c.push_manifest(*pending, stale);  // last: tags appear over a whole graph
    } else if (!stale.empty()) {
        if (!is_manifest_node(root.media_type)) {
            throw error(errc::invalid_media_type, "cannot tag " + root.digest.str() + ": "
                                                      + root.media_type + " is not a manifest");
        }
        auto bytes = co_await content::fetch_all(src, root, o.max_manifest_size);
        auto reader = byte_source::from_string(std::move(bytes));
        co_await dst.push_tagged(root, std::move(reader), std::move(stale));
    }
    if (o.recursive) {
        auto subjects = c.take_manifest_nodes();
        if (skip_root) {
            subjects.push_back(root);
            // Not walked: an index's manifests are subjects too (their signatures, SBOMs), as
            // when the index is copied.
            if (media_type::is_index(root.media_type)) {
                const auto bytes = co_await content::fetch_all(src, root, o.max_manifest_size);
                auto index = image_index::parse(bytes);
                if (!index) {
                    throw error(index.error());
                }
                for (auto& m : index->manifests) {
                    if (is_manifest_node(m.media_type)) {
                        subjects.push_back(std::move(m));
                    }
                }
            }
        }
        co_await copy_referrers(c, *lister, o, r, std::move(subjects));
    }
    co_return r;
}

}  // namespace oras::ops
