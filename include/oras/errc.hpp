// Error codes of the oras-cpp client, with their std::error_category.
#pragma once

#include <optional>
#include <string_view>
#include <system_error>

#pragma GCC visibility push(default)

namespace oras {

/// What went wrong, in terms a program can act on. The registry's own error codes
/// (distribution-spec `BLOB_UNKNOWN`, `DENIED`, ...) map onto these; the original code and message
/// stay in `oras::diagnostics` for people.
enum class errc {
    not_found = 1,                 ///< blob, manifest, tag or repository does not exist
    already_exists,                ///< the target already holds this content or name
    digest_mismatch,               ///< content does not hash to the expected digest
    size_mismatch,                 ///< content is shorter or longer than its descriptor says
    size_exceeds_limit,            ///< content is larger than a configured cap
    invalid_reference,             ///< malformed reference, repository name or tag
    invalid_digest,                ///< malformed digest string
    unsupported_digest_algorithm,  ///< well-formed digest whose algorithm this client lacks
    invalid_manifest,              ///< malformed or inconsistent manifest, index or descriptor
    invalid_media_type,            ///< media type is malformed or not the one expected
    unauthorized,                  ///< authentication required or failed (HTTP 401)
    denied,                        ///< authenticated but not allowed (HTTP 403)
    unsupported,                   ///< the registry or target does not support the operation
    too_many_requests,             ///< rate limited (HTTP 429)
    upload_invalid,                ///< the registry rejected an upload
    upload_unknown,                ///< the upload session is gone
    manifest_blob_unknown,         ///< a manifest refers to a blob the repository lacks
    range_not_satisfiable,         ///< a ranged request or chunk was out of order (HTTP 416)
    unavailable,                   ///< the registry is temporarily unable to serve (HTTP 5xx)
    unexpected_status,             ///< an HTTP status the protocol step does not allow
    invalid_response,              ///< a malformed header or body from the server
    invalid_argument,              ///< a caller-supplied option or input is unusable
    cancelled,                     ///< the operation was cancelled (a cancellation slot, a
                                   ///< shutdown): the one code every cancellation surfaces as
};

/// The category of `oras::errc`; its name is "oras".
const std::error_category& oras_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), oras_category()};
}

/// Maps a distribution-spec error code (`"MANIFEST_UNKNOWN"`) onto `errc`; nullopt for codes the
/// spec does not define, so that callers fall back to the HTTP status.
std::optional<errc> errc_from_registry_code(std::string_view code) noexcept;

/// Maps an HTTP error status onto `errc` (404 -> not_found, 429 -> too_many_requests, 5xx ->
/// unavailable, ...); `unexpected_status` for anything without a closer meaning.
errc errc_from_status(unsigned status) noexcept;

}  // namespace oras

/// \cond
// Lets an `oras::errc` convert to `std::error_code` and compare with one.
template <>
struct std::is_error_code_enum<oras::errc> : std::true_type {};
/// \endcond

#pragma GCC visibility pop
