// Internal: the distribution-spec protocol as pure functions (URLs, headers, bodies), so that the
// registry layer's decisions can be unit-tested without sockets.
#pragma once

#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/http/fields.hpp>
#include <oras/result.hpp>

#include <boost/url/url.hpp>
#include <boost/url/url_view.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oras::registry::detail {

// --- endpoints ---------------------------------------------------------------------------------
//
// `base` gives the scheme and authority ("https://r.example:5000"); its path, query and userinfo
// are ignored so that a base URL from configuration cannot smuggle them into requests.
// `repository` must have passed `validate_repository` and `reference` must be a valid tag or
// digest: the builders cannot fail. Any character that would still change the request's
// structure ('?', '#', ' ') is percent-encoded, never passed through.

/// `http(s)://<endpoint>` for a registry host (`host[:port]`): https unless `plain_http`, or
/// the host is loopback and `force_https` is not set; Docker Hub's `docker.io` is served by
/// registry-1.docker.io. Fails with `invalid_reference` for an invalid host.
result<std::string> registry_base_url(std::string_view registry, bool plain_http, bool force_https);

/// `/v2/`: the API version check, and where authentication challenges come from.
boost::urls::url ping_url(boost::urls::url_view base);

/// `/v2/<repository>/blobs/<digest>`.
boost::urls::url blob_url(boost::urls::url_view base, std::string_view repository, const digest& d);

/// `/v2/<repository>/manifests/<reference>`; `reference` is a tag or a digest string.
boost::urls::url manifest_url(boost::urls::url_view base, std::string_view repository,
                              std::string_view reference);

/// `/v2/<repository>/blobs/uploads/`: starts an upload session. With the spec's trailing slash:
/// without it some registries answer with a redirect, which a POST does not survive.
boost::urls::url upload_start_url(boost::urls::url_view base, std::string_view repository);

/// `/v2/<repository>/blobs/uploads/?mount=<digest>&from=<from_repository>`: a cross-repository
/// mount, which answers 201 when it mounted and 202 (an ordinary session) when it did not.
boost::urls::url mount_url(boost::urls::url_view base, std::string_view repository, const digest& d,
                           std::string_view from_repository);

/// The upload session's `Location` with `digest=<d>` added, to close the session with PUT. Every
/// other parameter (`_state`, ...) is kept byte for byte: registries sign them. A `digest`
/// parameter the registry put there itself is replaced, so that exactly one is sent.
boost::urls::url upload_complete_url(boost::urls::url_view location, const digest& d);

/// `/v2/<repository>/tags/list[?n=<n>][&last=<last>]`. `n` 0 (let the registry choose) and an
/// empty `last` are left out.
boost::urls::url tags_url(boost::urls::url_view base, std::string_view repository,
                          std::size_t n = 0, std::string_view last = {});

/// `/v2/_catalog[?n=<n>][&last=<last>]`, as `tags_url`.
boost::urls::url catalog_url(boost::urls::url_view base, std::size_t n = 0,
                             std::string_view last = {});

/// `/v2/<repository>/referrers/<subject>[?artifactType=<type>]`. The type is query-encoded
/// ('+' becomes %2B: Go registries decode '+' in a query as a space).
boost::urls::url referrers_url(boost::urls::url_view base, std::string_view repository,
                               const digest& subject, std::string_view artifact_type = {});

// --- upload sessions ---------------------------------------------------------------------------

/// Resolves an upload session's `Location` (absolute, or relative as distribution sends with
/// `http.relativeurls: true`) against the URL of the request that returned it. The query
/// (`_state=...`) is kept exactly as sent, the fragment dropped.
///
/// Refused with `invalid_response`: an empty or malformed value, userinfo, another host or port
/// than `request_url`'s, and https -> http. The session's requests carry the registry's
/// credentials and the blob's bytes: a Location must not be able to send either elsewhere.
result<boost::urls::url> resolve_upload_location(std::string_view location,
                                                 boost::urls::url_view request_url);

/// The number of bytes an upload session holds according to its `Range: 0-<last>` header: last
/// + 1, since the spec defines `<last>` as "the position of the last uploaded byte".
///
/// `0-0` therefore reads as 1, but distribution (2.x and 3.x) also sends `0-0` for a session
/// holding nothing: it computes `end = size; if end > 0 { end-- }`. Use `check_upload_range`
/// to confirm a known count, which accepts `0-0` for both 0 and 1. `0--1`, which some
/// registries send for an empty session, reads as 0; a `bytes=` prefix (Quay) is accepted.
/// Anything else, a start other than 0, or a value past 2^63 fails with `invalid_response`.
result<std::uint64_t> parse_upload_range(std::string_view range);

/// Confirms that `Range` says the session holds exactly `expected` bytes, allowing for
/// distribution's ambiguous `0-0` (see `parse_upload_range`). Fails with `invalid_response` for
/// a malformed header and `upload_invalid` for another count: the registry lost or invented
/// bytes, and a PUT now would store a blob other than the one hashed.
result<void> check_upload_range(std::string_view range, std::uint64_t expected);

/// The `Content-Range` of a chunk (PATCH): `<offset>-<offset + length - 1>`, inclusive, without
/// the `bytes ` unit the spec's regex `^[0-9]+-[0-9]+$` forbids. `length` must be at least 1.
std::string chunk_content_range(std::uint64_t offset, std::uint64_t length);

/// `OCI-Chunk-Min-Length` from a POST response: absent or empty -> nullopt; otherwise decimal
/// digits (OWS around them allowed), else `invalid_response`. The value is the registry's, not
/// a promise the client can afford: callers clamp it to their own buffer limits.
result<std::optional<std::uint64_t>> parse_chunk_min_length(std::string_view header);

// --- headers -----------------------------------------------------------------------------------

/// The `Accept` of manifest requests: OCI manifest, OCI index, Docker v2 manifest, Docker
/// manifest list, and the deprecated artifact manifest, as oras-go's. Without the OCI types
/// distribution answers 404 for OCI content; without the Docker types registries may rewrite or
/// refuse Docker images; a registry that holds an artifact manifest may refuse it to a client
/// that does not list its type.
std::string_view manifest_accept();

/// `Docker-Content-Digest` as a digest. A missing (empty) or malformed header fails with
/// `invalid_response`; a well-formed digest of another algorithm keeps
/// `unsupported_digest_algorithm` so that callers can fall back to hashing with sha256.
result<digest> parse_content_digest(std::string_view header);

/// True when `OCI-Filters-Applied` lists `artifactType`: the registry has filtered the
/// referrers already; otherwise the client must filter them itself.
bool artifact_type_filter_applied(std::string_view filters_applied_header) noexcept;

// --- referrers tag schema ----------------------------------------------------------------------

/// The referrers tag schema's fallback tag for a subject digest, for registries without the
/// referrers API (distribution 2.8). The distribution-spec ("Referrers Tag Schema") says:
///
///   "The Referrers Tag associated with a Content Digest MUST match the Truncated Algorithm, a
///   `-` character, and the Truncated Encoded section, with any characters not allowed by
///   `<tag-or-digest>` tags replaced with `-`. The Truncated Algorithm associated with a Content
///   Digest MUST match the digest's `algorithm` section truncated to 32 characters. The
///   Truncated Encoded section associated with a Content Digest MUST match the digest's
///   `encoded` section truncated to 64 characters."
///
/// So `sha256:<64 hex>` -> `sha256-<64 hex>`, and `sha512:<128 hex>` -> `sha512-` and only the
/// first 64 hex digits. Truncation happens before replacement (both count characters of the
/// digest, and replacement keeps the length).
std::string referrers_tag(const digest& d);

/// The same for digest text that `digest::parse` does not accept (other algorithms, such as the
/// spec's example `test+algorithm+...:alsoSome=...`). The text is split at its first ':'; text
/// without one is treated as all algorithm. Lengths count bytes and every byte outside
/// `[a-zA-Z0-9_.-]` becomes '-' (the digest grammar is ASCII).
std::string referrers_tag(std::string_view digest_text);

// --- bodies ------------------------------------------------------------------------------------

/// Largest tag list or catalog page parsed: distribution ignores `n` for tags and sends them
/// all at once, so a page can be far larger than a manifest. Read bodies with this limit.
inline constexpr std::size_t max_list_body = 16 * 1024 * 1024;

/// Largest sum of the pages of one listing (tags, catalog, referrers) kept in memory: a registry
/// that links page after page of names (within `max_pages`) would otherwise hold memory without
/// bound. 256 MiB is millions of names.
inline constexpr std::size_t max_list_total = 256 * 1024 * 1024;

/// Adds a page of `bytes` to `total`; false when the listing then exceeds `max_list_total`.
inline bool add_list_page(std::size_t& total, std::size_t bytes) noexcept {
    total += bytes;
    return total <= max_list_total;
}

/// The tags of `{"name": ..., "tags": [...]}`; `tags` null or absent (what Go registries send
/// for a repository without tags) is an empty list. `name`, when present, must equal
/// `expected_repository` (unless that is empty): another name means a proxy or a registry
/// answering for the wrong repository. Every tag must pass `validate_tag`, since tags go
/// into later request paths. Failures are `invalid_response` (or `size_exceeds_limit` past
/// `max_list_body`).
result<std::vector<std::string>> parse_tag_list(std::string_view body,
                                                std::string_view expected_repository);

/// The repositories of `{"repositories": [...]}` (null is an empty list), each checked with
/// `validate_repository`. Failures as `parse_tag_list`.
result<std::vector<std::string>> parse_catalog(std::string_view body);

// --- errors ------------------------------------------------------------------------------------

/// Most bytes of an error body `status_error` looks at; callers read no more than this.
inline constexpr std::size_t max_error_body = 8 * 1024;

/// The `oras::error` for an unexpected response. Its code comes from the first registry error
/// code that `errc_from_registry_code` knows, else from the status (`errc_from_status`). Its
/// message is `what` and the cause in a few words: the registry's first message (or code), a
/// plain-text body's first line (distribution's `404 page not found`), or just the status for
/// HTML and empty bodies; untrusted text in it is `display()`-escaped and cut to at most 200
/// bytes. The diagnostics carry the method, status, redacted URL and the whole error list.
/// `body` beyond `max_error_body` is ignored.
oras::error status_error(std::string_view method, boost::urls::url_view url, unsigned status,
                         const http::fields& headers, std::string_view body, std::string_view what);

}  // namespace oras::registry::detail
