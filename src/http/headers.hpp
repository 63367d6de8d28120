// Internal: response headers the registry protocol reads but HTTP defines — `Content-Range`
// (RFC 9110) and `Link` (RFC 8288) — and keeping a URL a server sends back within its origin.
#pragma once

#include <oras/result.hpp>

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace oras::http::detail {

/// `text` (a Location, a Link target: absolute or relative) resolved against `request_url`,
/// without its fragment. Refused with `invalid_response` naming `what`: an empty or malformed
/// value, userinfo, another host or port than `request_url`'s, and https -> http. The requests
/// that follow such a URL carry the server's credentials and content.
result<boost::urls::url> resolve_in_origin(std::string_view text, boost::urls::url_view request_url,
                                           std::string_view what);

/// A `Content-Range: bytes <first>-<last>/<total>` of a 206 response (`total` may be `*`).
struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::optional<std::uint64_t> total{};
};
result<byte_range> parse_content_range(std::string_view header);

/// Follows RFC 8288: every `Link` field (several per field, comma-separated; parameters with
/// token or quoted-string values; `rel` a space-separated, case-insensitive list of which only
/// the first `rel` parameter counts) is read, and the target of the one with relation `next`
/// is resolved against `request_url`. nullopt when there is none.
///
/// Refused with `invalid_response`: malformed fields (a missing `next` would otherwise end a
/// listing silently), targets that leave `request_url`'s host and port or downgrade to http,
/// carry userinfo, point back at `request_url` itself (an endless loop), or differ between
/// several `next` links.
result<std::optional<boost::urls::url>> parse_link_next(
    const std::vector<std::string_view>& link_headers, boost::urls::url_view request_url);

}  // namespace oras::http::detail
