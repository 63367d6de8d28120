// Referrers: listed from the referrers API when the registry has one, else from the tag-schema
// fallback index (distribution-spec 1.1, "Listing Referrers", "Referrers Tag Schema"), which this
// file also keeps current when manifests with a subject are pushed or deleted.
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/repository.hpp>

#include "core/async/keyed_mutex.hpp"
#include "core/cancelled.hpp"
#include "core/quote.hpp"
#include "core/rethrow.hpp"
#include "core/subject_link.hpp"
#include "http/headers.hpp"
#include "registry/protocol.hpp"
#include "registry/repository_state.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <system_error>

namespace oras::registry {

namespace asio = boost::asio;

namespace detail {

namespace {

using mode = repository_state::referrers_mode;
using oras::detail::rethrow_with;

/// The annotation with which registries of distribution-spec 1.1.0-rc1 said which filters they
/// applied (later versions use the `OCI-Filters-Applied` header).
constexpr std::string_view filters_applied_annotation =
    "org.opencontainers.referrers.filtersApplied";

// --- errors ----------------------------------------------------------------------------------

diagnostics diagnostics_of(const http::response& resp, std::string_view method) {
    return diagnostics{std::string(method), resp.status(), redact_url(resp.url().buffer()), {}};
}

// --- the per-subject lock --------------------------------------------------------------------
//
// The fallback index is read, changed and written back; two updates of one subject's index that
// interleave would lose one of the changes. Updates in this process therefore take turns, per
// subject, in the order they asked. Every operation of a repository runs on one strand, so the
// lock needs no thread synchronisation: it only makes coroutines wait.

/// Waits until this coroutine holds the lock named `key` of the repository.
asio::awaitable<oras::detail::keyed_mutex::guard> take_lock(std::shared_ptr<repository_state> st,
                                                            std::string key) {
    if (!st->referrers_locks_) {
        st->referrers_locks_ = std::make_shared<oras::detail::keyed_mutex>();
    }
    const auto locks = st->referrers_locks_;
    std::string what = "cancelled while waiting to update a referrers index";
    co_return co_await locks->lock(std::move(key), std::move(what));
}

// --- capability ------------------------------------------------------------------------------

/// Learns the mode unless it is known already (the first answer wins, as in oras-go).
void learn(repository_state& st, mode m) {
    if (st.referrers_ == mode::unknown && !st.referrers_fixed_) {
        st.referrers_ = m;
    }
}

http::fields index_accept() {
    http::fields h;
    h.set("Accept", media_type::image_index);
    return h;
}

/// A Content-Type (parameters and case ignored) that says OCI image index.
bool is_index_type(std::string_view content_type) {
    auto t = content_type.substr(0, content_type.find(';'));
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
        t.remove_suffix(1);
    }
    return http::iequals(t, media_type::image_index);
}

/// A 404 body in which the registry says that the repository does not exist: the referrers
/// route exists (a registry without it answers like distribution 2.8, `404 page not found`).
bool names_unknown_repository(std::string_view body) {
    const auto errors = parse_registry_errors(body);
    return errors && std::any_of(errors->begin(), errors->end(), [](const registry_error& e) {
               return e.code == "NAME_UNKNOWN";
           });
}

/// Asks the registry whether it has the referrers API: GET the subject's referrers; 200 with
/// an image index says yes, 404 no (distribution-spec: "If the registry supports the referrers
/// API, the registry MUST NOT return a `404 Not Found` to a referrers API requests").
asio::awaitable<void> probe(std::shared_ptr<repository_state> st, const digest& subject) {
    auto resp =
        co_await st->send("GET", referrers_url(boost::urls::url(st->base_url_), st->name_, subject),
                          st->pull_, {}, index_accept());
    if (resp.status() == 200) {
        // A 200 of something else than an index is not the API (oras-go treats it the same).
        const bool api = is_index_type(resp.headers().get("Content-Type"));
        co_await resp.discard();
        learn(*st, api ? mode::api : mode::fallback);
        co_return;
    }
    if (resp.status() == 404) {
        const auto body = co_await st->error_body(resp);
        if (!names_unknown_repository(body)) {
            learn(*st, mode::fallback);
            co_return;
        }
        throw status_error("GET", resp.url(), resp.status(), resp.headers(), body,
                           "cannot learn whether " + st->where() + " has the referrers API");
    }
    co_await st->fail(resp, "GET",
                      "cannot learn whether " + st->where() + " has the referrers API");
}

/// Whether the repository has the referrers API, probed once when it is not known yet.
asio::awaitable<bool> has_referrers_api(std::shared_ptr<repository_state> st, digest subject) {
    if (st->referrers_ == mode::unknown) {
        // One probe at a time: concurrent pushes wait for its answer instead of asking too.
        // (The key cannot clash with a referrers tag: tags are never empty.)
        auto held = co_await take_lock(st, "");
        if (st->referrers_ == mode::unknown) {
            co_await probe(st, subject);
        }
    }
    co_return st->referrers_ == mode::api;
}

// --- the fallback index ----------------------------------------------------------------------

/// The manifest tagged with the subject's referrers tag; nullopt when there is none.
asio::awaitable<std::optional<manifest_content>> fetch_fallback(
    std::shared_ptr<repository_state> st, digest subject) {
    auto repo = repository_access::make(st);
    std::optional<manifest_content> out;
    try {
        out = co_await repo.fetch_manifest(referrers_tag(subject));
    } catch (const oras::error& e) {
        if (e.code() != errc::not_found) {
            throw;
        }
    }
    co_return out;
}

/// The referrers in an index of the tag schema, filtered by artifact type.
std::vector<descriptor> filtered(std::vector<descriptor> all, std::string_view artifact_type) {
    if (!artifact_type.empty()) {
        std::erase_if(all, [&](const descriptor& d) { return d.artifact_type != artifact_type; });
    }
    return all;
}

asio::awaitable<std::vector<descriptor>> list_by_tag(std::shared_ptr<repository_state> st,
                                                     digest subject, std::string artifact_type) {
    auto current = co_await fetch_fallback(st, subject);
    if (!current || current->desc.media_type != media_type::image_index) {
        // "If the response to the referrers API is a 404, and the tag schema does not return a
        // valid image index, the client SHOULD assume there are no referrers to the manifest."
        co_return std::vector<descriptor>{};
    }
    auto idx = image_index::parse(current->bytes, {.max_size = st->options_.max_manifest_size});
    if (!idx) {
        co_return std::vector<descriptor>{};
    }
    co_return filtered(std::move(idx->manifests), artifact_type);
}

/// Deletes a manifest by digest, reporting instead of throwing whether it could: registries
/// may not allow deletes (405 UNSUPPORTED), and a dangling old index harms nobody.
asio::awaitable<bool> delete_quietly(std::shared_ptr<repository_state> st, digest d) {
    bool deleted = false;
    try {
        auto resp = co_await st->send("DELETE", st->manifest_url(d.str()), st->delete_);
        deleted = resp.status() == 202 || resp.status() == 200;
        co_await resp.discard();
    } catch (const std::exception&) {
        // Best effort: the index has been updated already.
    }
    co_return deleted;
}

/// Pushes a fallback index under `tag`; returns the registry's error instead of throwing it when
/// the registry refused it, so that the caller can react (with a co_await, outside a handler).
asio::awaitable<std::optional<oras::error>> put_index(std::shared_ptr<repository_state> st,
                                                      std::string tag, std::string bytes) {
    http::fields headers;
    headers.set("Content-Type", media_type::image_index);
    auto resp = co_await st->send("PUT", st->manifest_url(tag), st->push_,
                                  byte_source::from_string(std::move(bytes)), std::move(headers));
    if (resp.status() == 201) {
        co_await resp.discard();
        co_return std::nullopt;
    }
    const auto body = co_await st->error_body(resp);
    co_return status_error("PUT", resp.url(), resp.status(), resp.headers(), body,
                           "cannot push the referrers index tagged " + tag);
}

/// Whether the repository still has the manifest `d` (HEAD).
asio::awaitable<bool> manifest_exists(std::shared_ptr<repository_state> st, digest d) {
    http::fields headers;
    headers.set("Accept", manifest_accept());
    auto resp =
        co_await st->send("HEAD", st->manifest_url(d.str()), st->pull_, {}, std::move(headers));
    if (resp.status() != 200 && resp.status() != 404) {
        co_await st->fail(resp, "HEAD", "cannot check manifest " + d.str());
    }
    co_await resp.discard();
    co_return resp.status() == 200;
}

/// The entries of `manifests` whose manifests still exist.
asio::awaitable<std::vector<descriptor>> existing(std::shared_ptr<repository_state> st,
                                                  std::vector<descriptor> manifests) {
    std::vector<descriptor> out;
    for (auto& m : manifests) {
        const bool exists = co_await manifest_exists(st, m.digest);
        if (exists) {
            out.push_back(std::move(m));
        }
    }
    co_return out;
}

/// Rounds of dropping dangling entries before a refused index push is reported.
constexpr unsigned max_prunes = 3;

/// Adds `link.manifest` to (or removes it from) its subject's fallback index, under the
/// subject's lock. As oras-go does, the index replaced is deleted afterwards (best effort), and
/// an index left empty is deleted rather than replaced (which removes its tag too: "Once deleted,
/// a GET to /v2/<name>/manifests/<digest> and any tag pointing to that digest will return a
/// 404"); only when the registry refuses that delete is an empty index pushed instead, so that
/// the tag does not keep listing a deleted referrer.
///
/// Registries check that the manifests an index lists exist (distribution answers 400
/// MANIFEST_BLOB_UNKNOWN). An entry can dangle when its manifest was deleted by a client that
/// did not update the index, or by a concurrent delete whose own update has not run yet; such
/// entries are dropped (their manifests are checked with HEAD) and the push tried again.
asio::awaitable<void> update_fallback(std::shared_ptr<repository_state> st, referrer_link link,
                                      bool add) {
    const auto tag = referrers_tag(link.subject);
    auto held = co_await take_lock(st, tag);
    auto current = co_await fetch_fallback(st, link.subject);
    image_index idx;
    if (current) {
        // "If that pull returns a manifest other than the expected image index, the client
        // SHOULD report a failure and skip the remaining steps."
        if (current->desc.media_type != media_type::image_index) {
            throw oras::error(errc::invalid_manifest,
                              "the referrers tag " + tag + " holds a "
                                  + oras::detail::quote(current->desc.media_type)
                                  + ", not an image index");
        }
        auto parsed =
            image_index::parse(current->bytes, {.max_size = st->options_.max_manifest_size});
        if (!parsed) {
            throw oras::error(parsed.error().code,
                              "the referrers index tagged " + tag + ": " + parsed.error().message);
        }
        idx = std::move(*parsed);
    }
    idx.schema_version = 2;
    idx.media_type = std::string(media_type::image_index);
    // A referrers index with a subject would itself be a referrer of something.
    idx.subject.reset();
    const auto same = [&](const descriptor& d) { return d.digest == link.manifest.digest; };
    if (add) {
        // "Verify the descriptor for the manifest is not already in the referrers list".
        if (std::any_of(idx.manifests.begin(), idx.manifests.end(), same)) {
            co_return;
        }
        idx.manifests.push_back(std::move(link.manifest));
    } else if (std::erase_if(idx.manifests, same) == 0) {
        co_return;
    }
    bool old_delete_tried = false;
    for (unsigned prunes = 0;; ++prunes) {
        if (idx.manifests.empty()) {
            if (!current) {
                co_return;
            }
            if (!old_delete_tried) {
                old_delete_tried = true;
                const bool deleted = co_await delete_quietly(st, current->desc.digest);
                if (deleted) {
                    co_return;
                }
            }
        }
        auto refused = co_await put_index(st, tag, idx.serialize());
        if (!refused) {
            break;
        }
        if (refused->code() != errc::manifest_blob_unknown || prunes == max_prunes) {
            throw *refused;
        }
        const auto before = idx.manifests.size();
        idx.manifests = co_await existing(st, std::move(idx.manifests));
        if (idx.manifests.size() == before) {
            throw *refused;
        }
    }
    if (current && !old_delete_tried) {
        co_await delete_quietly(st, current->desc.digest);
    }
}

// --- the referrers API -----------------------------------------------------------------------

/// Lists from the referrers API, following `Link` pages. nullopt when the registry turned out
/// to have no such API (a 404 while the mode was unknown); the mode is learned either way.
asio::awaitable<std::optional<std::vector<descriptor>>> list_by_api(
    std::shared_ptr<repository_state> st, digest subject, std::string artifact_type) {
    std::vector<descriptor> out;
    auto u = referrers_url(boost::urls::url(st->base_url_), st->name_, subject, artifact_type);
    std::size_t total = 0;
    for (unsigned page = 0;; ++page) {
        if (page == st->options_.max_pages) {
            throw oras::error(errc::invalid_response, "the referrers list has more than "
                                                          + std::to_string(page) + " pages");
        }
        // Read before the request: a listing running beside this one may learn the mode while
        // this one waits, and this 404 still means what it meant when it was asked.
        const bool first_unknown = page == 0 && st->referrers_ == mode::unknown;
        auto resp = co_await st->send("GET", u, st->pull_, {}, index_accept());
        if (resp.status() == 404 && page == 0) {
            const auto body = co_await st->error_body(resp);
            if (names_unknown_repository(body)) {
                // No repository, no referrers; what the registry has is still not known.
                co_return std::vector<descriptor>{};
            }
            if (first_unknown) {
                // "A client querying the referrers API and receiving a 404 Not Found MUST
                // fallback to using an image index pushed to a tag described by the referrers
                // tag schema."
                learn(*st, mode::fallback);
                co_return std::nullopt;
            }
            throw status_error("GET", resp.url(), resp.status(), resp.headers(), body, "");
        }
        if (resp.status() != 200) {
            co_await st->fail(resp, "GET", "");
        }
        const auto diag = diagnostics_of(resp, "GET");
        if (const auto type = resp.headers().get("Content-Type"); !is_index_type(type)) {
            resp.abandon();
            if (first_unknown) {
                learn(*st, mode::fallback);
                co_return std::nullopt;
            }
            throw oras::error(errc::invalid_response,
                              "the referrers API answered with the Content-Type "
                                  + oras::detail::quote(display(type, 100))
                                  + ", not an image index",
                              diag);
        }
        const auto body = co_await resp.read_all(st->options_.max_manifest_size);
        if (!add_list_page(total, body.size())) {
            throw oras::error(errc::invalid_response,
                              "the referrers list is larger than " + std::to_string(max_list_total)
                                  + " bytes across its pages",
                              diag);
        }
        auto idx = image_index::parse(body, {.max_size = st->options_.max_manifest_size});
        if (!idx) {
            throw oras::error(
                errc::invalid_response,
                "the referrers API answered with an invalid image index: " + idx.error().message,
                diag);
        }
        learn(*st, mode::api);
        // "If filtering is requested and applied, the response MUST include a header
        // `OCI-Filters-Applied: artifactType`"; otherwise the client filters.
        const auto annotated = idx->annotations.find(filters_applied_annotation);
        const bool applied = artifact_type_filter_applied(resp.headers().get("OCI-Filters-Applied"))
                             || (annotated != idx->annotations.end()
                                 && artifact_type_filter_applied(annotated->second));
        auto page_referrers = applied ? std::move(idx->manifests)
                                      : filtered(std::move(idx->manifests), artifact_type);
        out.insert(out.end(), std::make_move_iterator(page_referrers.begin()),
                   std::make_move_iterator(page_referrers.end()));
        auto next = http::detail::parse_link_next(resp.headers().get_all("Link"), resp.url());
        if (!next) {
            throw oras::error(next.error().code, "the referrers list: " + next.error().message,
                              diag);
        }
        if (!*next) {
            co_return out;
        }
        u = **next;
    }
}

// --- manifests with a subject ----------------------------------------------------------------

}  // namespace

std::optional<referrer_link> referrer_of(const descriptor& pushed, std::string_view bytes) {
    // The types oras-go indexes on push; a Docker manifest has no subject.
    if (pushed.media_type != media_type::image_manifest
        && pushed.media_type != media_type::image_index
        && pushed.media_type != media_type::artifact_manifest) {
        return std::nullopt;
    }
    // The registry accepted the bytes already: no size limit beyond theirs.
    auto link = oras::detail::subject_link_of(pushed, bytes, {.max_size = bytes.size()});
    if (!link) {
        return std::nullopt;
    }
    return referrer_link{std::move(link->referrer), link->subject};
}

asio::awaitable<void> index_referrer(std::shared_ptr<repository_state> st, referrer_link link,
                                     bool indexed_by_registry) {
    if (indexed_by_registry && !st->referrers_fixed_) {
        // "a registry implementation that supports the referrers API MUST respond with the
        // response header `OCI-Subject: <subject digest>`": authoritative, whatever was learned.
        st->referrers_ = mode::api;
        co_return;
    }
    if (st->referrers_ == mode::api) {
        co_return;
    }
    const std::string what = "pushed " + link.manifest.digest.str()
                             + " but cannot add it to the referrers index of " + link.subject.str()
                             + " in " + st->where();
    try {
        const bool api = co_await has_referrers_api(st, link.subject);
        if (!api) {
            co_await update_fallback(st, std::move(link), true);
        }
    } catch (...) {
        rethrow_with(what);
    }
}

asio::awaitable<std::optional<referrer_link>> referrer_before_delete(
    std::shared_ptr<repository_state> st, oras::digest d) {
    if (st->referrers_ == mode::api) {
        co_return std::nullopt;
    }
    auto repo = repository_access::make(st);
    std::optional<manifest_content> m;
    try {
        m = co_await repo.fetch_manifest(d.str());
    } catch (const oras::error& e) {
        // Absent: the DELETE reports it. Bytes that do not match their digest or exceed the
        // limit cannot be trusted to name a subject, and must stay deletable.
        if (e.code() != errc::not_found && e.code() != errc::digest_mismatch
            && e.code() != errc::size_exceeds_limit) {
            rethrow_with("cannot delete manifest " + d.str() + " in " + st->where());
        }
    }
    if (!m) {
        co_return std::nullopt;
    }
    co_return referrer_of(m->desc, m->bytes);
}

asio::awaitable<void> unindex_referrer(std::shared_ptr<repository_state> st, referrer_link link) {
    if (st->referrers_ == mode::api) {
        co_return;
    }
    const std::string what = "deleted " + link.manifest.digest.str()
                             + " but cannot remove it from the referrers index of "
                             + link.subject.str() + " in " + st->where();
    try {
        const bool api = co_await has_referrers_api(st, link.subject);
        if (!api) {
            co_await update_fallback(st, std::move(link), false);
        }
    } catch (...) {
        rethrow_with(what);
    }
}

}  // namespace detail

asio::awaitable<std::vector<descriptor>> repository::referrers(oras::digest subject,
                                                               std::string artifact_type) {
    auto st = state_;
    using detail::repository_state;
    if (subject.empty()) {
        throw error(errc::invalid_argument, "cannot list the referrers of an empty digest");
    }
    const std::string what = "cannot list the referrers of " + subject.str() + " in " + st->where();
    try {
        if (st->referrers_ != repository_state::referrers_mode::fallback) {
            auto listed = co_await detail::list_by_api(st, subject, artifact_type);
            if (listed) {
                co_return std::move(*listed);
            }
        }
        co_return co_await detail::list_by_tag(st, std::move(subject), std::move(artifact_type));
    } catch (...) {
        detail::rethrow_with(what);
    }
}

}  // namespace oras::registry
