#include <oras/errc.hpp>

#include <string>

namespace oras {
namespace {

class oras_category_impl final : public std::error_category {
  public:
    const char* name() const noexcept override { return "oras"; }

    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::not_found:
                return "not found";
            case errc::already_exists:
                return "already exists";
            case errc::digest_mismatch:
                return "digest mismatch";
            case errc::size_mismatch:
                return "size mismatch";
            case errc::size_exceeds_limit:
                return "size exceeds limit";
            case errc::invalid_reference:
                return "invalid reference";
            case errc::invalid_digest:
                return "invalid digest";
            case errc::unsupported_digest_algorithm:
                return "unsupported digest algorithm";
            case errc::invalid_manifest:
                return "invalid manifest";
            case errc::invalid_media_type:
                return "invalid media type";
            case errc::unauthorized:
                return "unauthorized";
            case errc::denied:
                return "denied";
            case errc::unsupported:
                return "unsupported";
            case errc::too_many_requests:
                return "too many requests";
            case errc::upload_invalid:
                return "upload invalid";
            case errc::upload_unknown:
                return "upload unknown";
            case errc::manifest_blob_unknown:
                return "manifest references an unknown blob";
            case errc::range_not_satisfiable:
                return "range not satisfiable";
            case errc::unavailable:
                return "service unavailable";
            case errc::unexpected_status:
                return "unexpected HTTP status";
            case errc::invalid_response:
                return "invalid response";
            case errc::invalid_argument:
                return "invalid argument";
            case errc::cancelled:
                return "operation cancelled";
        }
        return "unknown oras error " + std::to_string(ev);
    }
};

}  // namespace

const std::error_category& oras_category() noexcept {
    static const oras_category_impl instance;
    return instance;
}

std::optional<errc> errc_from_registry_code(std::string_view code) noexcept {
    struct entry {
        std::string_view code;
        errc value;
    };
    // The distribution-spec codes, plus those distribution itself sends beyond the spec.
    static constexpr entry table[] = {
        {"BLOB_UNKNOWN", errc::not_found},
        {"BLOB_UPLOAD_INVALID", errc::upload_invalid},
        {"BLOB_UPLOAD_UNKNOWN", errc::upload_unknown},
        {"DIGEST_INVALID", errc::digest_mismatch},
        {"MANIFEST_BLOB_UNKNOWN", errc::manifest_blob_unknown},
        {"MANIFEST_INVALID", errc::invalid_manifest},
        {"MANIFEST_UNKNOWN", errc::not_found},
        {"NAME_INVALID", errc::invalid_reference},
        {"NAME_UNKNOWN", errc::not_found},
        {"SIZE_INVALID", errc::size_mismatch},
        {"UNAUTHORIZED", errc::unauthorized},
        {"DENIED", errc::denied},
        {"UNSUPPORTED", errc::unsupported},
        {"TOOMANYREQUESTS", errc::too_many_requests},
        {"TAG_INVALID", errc::invalid_reference},
        {"MANIFEST_UNVERIFIED", errc::invalid_manifest},
        {"PAGINATION_NUMBER_INVALID", errc::invalid_argument},
        {"RANGE_INVALID", errc::range_not_satisfiable},
        {"UNAVAILABLE", errc::unavailable},
    };
    for (const auto& e : table) {
        if (e.code == code) {
            return e.value;
        }
    }
    return std::nullopt;
}

errc errc_from_status(unsigned status) noexcept {
    switch (status) {
        case 401:
            return errc::unauthorized;
        case 403:
            return errc::denied;
        case 404:
            return errc::not_found;
        case 405:
            return errc::unsupported;
        case 413:
            return errc::size_exceeds_limit;
        case 416:
            return errc::range_not_satisfiable;
        case 429:
            return errc::too_many_requests;
        default:
            break;
    }
    if (status >= 500 && status <= 599) {
        return errc::unavailable;
    }
    return errc::unexpected_status;
}

}  // namespace oras
