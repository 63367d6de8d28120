// Tags: tagging an existing manifest, deleting a tag, listing them page by page.
#include <oras/content/target.hpp>
#include <oras/error.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository.hpp>
#include <oras/verifier.hpp>

#include "content/drain.hpp"
#include "core/async/shared_flight.hpp"
#include "core/quote.hpp"
#include "http/headers.hpp"
#include "http/policy.hpp"
#include "registry/blob_download.hpp"
#include "registry/protocol.hpp"
#include "registry/repository_state.hpp"

#include <boost/asio/this_coro.hpp>

namespace oras::registry {

namespace asio = boost::asio;

using detail::repository_state;

asio::awaitable<void> repository::delete_tag(std::string tag_name) {
    auto st = state_;
    if (auto v = validate_tag(tag_name); !v) {
        throw error(v.error());
    }
    const std::string what = "cannot delete the tag " + tag_name + " of " + st->where();
    auto resp = co_await st->send("DELETE", st->manifest_url(tag_name), st->delete_);
    if (resp.status() == 400 || resp.status() == 405) {
        // Distribution answers 400 UNSUPPORTED: only manifests, by digest, can go there.
        const auto body = co_await st->error_body(resp);
        const auto e =
            detail::status_error("DELETE", resp.url(), resp.status(), resp.headers(), body, what);
        throw error(errc::unsupported,
                    what + ": the registry does not delete tags (delete the manifest by digest)",
                    e.diag());
    }
    if (resp.status() != 202 && resp.status() != 200) {
        co_await st->fail(resp, "DELETE", what);
    }
    co_await resp.discard();
}

asio::awaitable<descriptor> repository::tag(std::string reference, std::string tag_name) {
    if (auto v = validate_tag(tag_name); !v) {
        throw error(v.error());
    }
    auto m = co_await fetch_manifest(std::move(reference));
    co_return co_await push_manifest(m.desc.media_type, std::move(m.bytes), std::move(tag_name));
}

asio::awaitable<std::vector<std::string>> repository::tags() {
    auto st = state_;
    std::vector<std::string> out;
    auto u = st->tags_url(st->options_.page_size);
    std::size_t total = 0;
    for (unsigned page = 0;; ++page) {
        if (page == st->options_.max_pages) {
            throw error(errc::invalid_response, "the tag list of " + st->where() + " has more than "
                                                    + std::to_string(page) + " pages");
        }
        auto resp = co_await st->send("GET", u, st->pull_);
        if (resp.status() != 200) {
            co_await st->fail(resp, "GET", "cannot list the tags of " + st->where());
        }
        const auto body = co_await resp.read_all(detail::max_list_body);
        if (!detail::add_list_page(total, body.size())) {
            throw error(errc::invalid_response,
                        "the tag list of " + st->where() + " is larger than "
                            + std::to_string(detail::max_list_total) + " bytes across its pages");
        }
        auto page_tags = detail::parse_tag_list(body, st->name_);
        if (!page_tags) {
            throw error(page_tags.error().code, page_tags.error().message,
                        diagnostics{"GET", resp.status(), redact_url(resp.url().buffer()), {}});
        }
        out.insert(out.end(), page_tags->begin(), page_tags->end());
        auto next = http::detail::parse_link_next(resp.headers().get_all("Link"), resp.url());
        if (!next) {
            throw error(next.error().code,
                        "the tag list of " + st->where() + ": " + next.error().message);
        }
        if (!*next) {
            co_return out;
        }
        u = **next;
    }
}

}  // namespace oras::registry
