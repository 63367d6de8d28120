// Response headers a registry or anything on the path controls: WWW-Authenticate, Link,
// Location, Retry-After, Range, Content-Range, Docker-Content-Digest, OCI-Chunk-Min-Length.
// The first byte picks the parser; the rest is the header value. Redirects and pagination must
// never leave the registry's origin or downgrade to http.
#include <oras/auth/challenge.hpp>
#include <oras/http/fields.hpp>

#include "fuzz.hpp"
#include "http/headers.hpp"
#include "http/policy.hpp"
#include "registry/protocol.hpp"

#include <boost/url/parse.hpp>

#include <chrono>

namespace {

/// Same host (case-insensitive) and port (as a number) as `b`.
bool same_place(boost::urls::url_view a, boost::urls::url_view b) {
    return oras::http::iequals(a.host(), b.host()) && a.port_number() == b.port_number();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace oras;
    if (size == 0) {
        return 0;
    }
    const auto value = fuzz::text(data + 1, size - 1);
    const auto base =
        boost::urls::parse_uri("https://registry.example:5000/v2/r/blobs/uploads/").value();
    switch (data[0] % 8) {
        case 0:
            if (auto c = auth::parse_www_authenticate(value)) {
                for (const auto& one : *c) {
                    (void)auth::to_bearer(one);
                }
            }
            break;
        case 1: {
            const std::vector<std::string_view> fields = fuzz::split(value, '\n', 3);
            if (auto next = http::detail::parse_link_next(fields, base); next && *next) {
                fuzz::require(same_place(**next, base),
                              "a next link stays on the registry's host and port");
                fuzz::require(oras::http::iequals((*next)->scheme(), "https"),
                              "a next link never downgrades");
            }
            break;
        }
        case 2:
            if (auto u = registry::detail::resolve_upload_location(value, base)) {
                fuzz::require(same_place(*u, base),
                              "an upload Location stays on the registry's host and port");
                fuzz::require(oras::http::iequals(u->scheme(), "https"),
                              "an upload Location never downgrades");
                fuzz::require(!u->has_userinfo(), "an upload Location carries no userinfo");
            }
            break;
        case 3:
            if (auto u = http::detail::resolve_location(base, value)) {
                fuzz::require(oras::http::iequals(u->scheme(), "http")
                                  || oras::http::iequals(u->scheme(), "https"),
                              "a redirect is http or https");
                (void)http::detail::origin_of(*u);
            }
            break;
        case 4: {
            const auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(500'000);
            if (auto d = http::detail::parse_retry_after(value, now)) {
                fuzz::require(d->count() >= 0, "Retry-After is never negative");
            }
            break;
        }
        case 5:
            (void)registry::detail::parse_upload_range(value);
            (void)registry::detail::check_upload_range(value, 1);
            break;
        case 6:
            if (auto r = http::detail::parse_content_range(value)) {
                fuzz::require(r->first <= r->last, "a content range is ordered");
            }
            (void)registry::detail::parse_chunk_min_length(value);
            break;
        default:
            (void)registry::detail::parse_content_digest(value);
            (void)registry::detail::artifact_type_filter_applied(value);
            break;
    }
    return 0;
}
