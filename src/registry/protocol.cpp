#include "registry/protocol.hpp"

#include <oras/diagnostics.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>

#include "auth/api_root.hpp"
#include "core/json_reader.hpp"
#include "core/quote.hpp"
#include "core/text.hpp"
#include "http/headers.hpp"
#include "http/policy.hpp"

#include <boost/assert.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace oras::registry::detail {
namespace {

using ::oras::detail::is_tchar;
using ::oras::detail::lower;
using ::oras::detail::trim;

using oras::detail::quote;

using ::oras::detail::parse_decimal;

boost::urls::url at_path(boost::urls::url_view base, std::string_view path) {
    boost::urls::url u;
    u.set_scheme(base.scheme());
    // Host and port only: userinfo in a configured base must not reach request URLs (or logs).
    u.set_encoded_authority(base.encoded_host_and_port());
    u.set_path(path);
    return u;
}

std::string repo_path(std::string_view repository, std::string_view rest) {
    std::string p = "/v2/";
    p += repository;
    p += rest;
    return p;
}

struct upload_range {
    std::uint64_t size = 0;
    bool ambiguous = false;  // "0-0": one byte, or distribution's empty session
};

result<upload_range> parse_range(std::string_view range) {
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::invalid_response, "upload Range " + quote(range, 64) + " " + why);
    };
    auto s = trim(range);
    if (s.empty()) {
        return make_failure(errc::invalid_response, "upload Range header is missing or empty");
    }
    if (s.size() >= 6 && lower(s.substr(0, 6)) == "bytes=") {
        s.remove_prefix(6);
    }
    const auto dash = s.find('-');
    if (dash == std::string_view::npos) {
        return fail("is not of the form 0-<last>");
    }
    const auto first = parse_decimal(s.substr(0, dash));
    const auto last_text = s.substr(dash + 1);
    if (!first) {
        return fail("is not of the form 0-<last>");
    }
    if (*first != 0) {
        return fail("does not start at 0");
    }
    if (last_text == "-1") {
        return upload_range{0, false};
    }
    const auto last = parse_decimal(last_text);
    if (!last) {
        return fail("is not of the form 0-<last>");
    }
    if (*last >= (std::uint64_t{1} << 63)) {
        return fail("is out of range");
    }
    return upload_range{*last + 1, *last == 0};
}

// --- error bodies ------------------------------------------------------------------------------

// The first line of a body worth showing: plain text, never HTML or JSON markup.
std::string_view plain_text_line(const http::fields& headers, std::string_view body) {
    auto type = trim(headers.get("Content-Type"));
    type = trim(type.substr(0, type.find(';')));
    const auto text = trim(body.substr(0, body.find_first_of("\r\n")));
    if (text.empty()) {
        return {};
    }
    if (!type.empty()) {
        return http::iequals(type, "text/plain") ? text : std::string_view{};
    }
    return text.front() == '<' || text.front() == '{' || text.front() == '[' ? std::string_view{}
                                                                             : text;
}

result<simdjson::dom::array> list_member(const oras::detail::json_reader& rd,
                                         simdjson::dom::object obj, std::string_view key,
                                         bool& absent) {
    simdjson::dom::element e;
    absent = obj.at_key(key).get(e) != simdjson::SUCCESS || e.is_null();
    if (absent) {
        return simdjson::dom::array{};
    }
    return rd.array(e, key);
}

}  // namespace

// --- endpoints ---------------------------------------------------------------------------------

result<std::string> registry_base_url(std::string_view registry, bool plain_http,
                                      bool force_https) {
    if (auto v = validate_registry(registry); !v) {
        return v.error();
    }
    auto ref = reference::parse(std::string(registry) + "/probe");
    if (!ref) {
        return ref.error();
    }
    const bool plain = plain_http || (http::detail::is_loopback_host(ref->host()) && !force_https);
    return std::string(plain ? "http" : "https") + "://" + ref->endpoint();
}

boost::urls::url ping_url(boost::urls::url_view base) {
    return auth::detail::api_root_url(base);  // where the auth client learns the challenge too
}

boost::urls::url blob_url(boost::urls::url_view base, std::string_view repository,
                          const digest& d) {
    return at_path(base, repo_path(repository, "/blobs/" + d.str()));
}

boost::urls::url manifest_url(boost::urls::url_view base, std::string_view repository,
                              std::string_view reference) {
    return at_path(base, repo_path(repository, "/manifests/" + std::string(reference)));
}

boost::urls::url upload_start_url(boost::urls::url_view base, std::string_view repository) {
    return at_path(base, repo_path(repository, "/blobs/uploads/"));
}

boost::urls::url mount_url(boost::urls::url_view base, std::string_view repository, const digest& d,
                           std::string_view from_repository) {
    auto u = upload_start_url(base, repository);
    u.params().append({"mount", d.str()});
    u.params().append({"from", from_repository});
    return u;
}

boost::urls::url upload_complete_url(boost::urls::url_view location, const digest& d) {
    boost::urls::url u(location);
    u.remove_fragment();
    u.params().erase("digest");
    u.params().append({"digest", d.str()});
    return u;
}

boost::urls::url tags_url(boost::urls::url_view base, std::string_view repository, std::size_t n,
                          std::string_view last) {
    auto u = at_path(base, repo_path(repository, "/tags/list"));
    if (n != 0) {
        u.params().append({"n", std::to_string(n)});
    }
    if (!last.empty()) {
        u.params().append({"last", last});
    }
    return u;
}

boost::urls::url catalog_url(boost::urls::url_view base, std::size_t n, std::string_view last) {
    auto u = at_path(base, "/v2/_catalog");
    if (n != 0) {
        u.params().append({"n", std::to_string(n)});
    }
    if (!last.empty()) {
        u.params().append({"last", last});
    }
    return u;
}

boost::urls::url referrers_url(boost::urls::url_view base, std::string_view repository,
                               const digest& subject, std::string_view artifact_type) {
    auto u = at_path(base, repo_path(repository, "/referrers/" + subject.str()));
    if (!artifact_type.empty()) {
        // params() leaves '+' alone (RFC 3986 allows it); Go's query decoding would read a space.
        std::string encoded;
        for (const char c : artifact_type) {
            if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'
                || c == '~' || c == '/') {
                encoded += c;
            } else {
                static constexpr char hex[] = "0123456789ABCDEF";
                const auto b = static_cast<unsigned char>(c);
                encoded += '%';
                encoded += hex[b >> 4];
                encoded += hex[b & 0xf];
            }
        }
        u.encoded_params().append({"artifactType", encoded});
    }
    return u;
}

// --- upload sessions ---------------------------------------------------------------------------

result<boost::urls::url> resolve_upload_location(std::string_view location,
                                                 boost::urls::url_view request_url) {
    return http::detail::resolve_in_origin(location, request_url, "upload Location");
}

result<std::uint64_t> parse_upload_range(std::string_view range) {
    auto r = parse_range(range);
    if (!r) {
        return r.error();
    }
    return r->size;
}

result<void> check_upload_range(std::string_view range, std::uint64_t expected) {
    auto r = parse_range(range);
    if (!r) {
        return r.error();
    }
    if (r->size == expected || (r->ambiguous && expected == 0)) {
        return {};
    }
    return make_failure(errc::upload_invalid, "the registry holds " + std::to_string(r->size)
                                                  + " bytes of the upload (Range "
                                                  + quote(range, 64) + "), expected "
                                                  + std::to_string(expected));
}

std::string chunk_content_range(std::uint64_t offset, std::uint64_t length) {
    BOOST_ASSERT(length > 0);
    return std::to_string(offset) + "-" + std::to_string(offset + length - 1);
}

result<std::optional<std::uint64_t>> parse_chunk_min_length(std::string_view header) {
    const auto s = trim(header);
    if (s.empty()) {
        return std::optional<std::uint64_t>{};
    }
    auto v = parse_decimal(s);
    if (!v) {
        return make_failure(errc::invalid_response,
                            "OCI-Chunk-Min-Length " + quote(header, 64) + " is not a byte count");
    }
    return std::optional<std::uint64_t>{*v};
}

// --- headers -----------------------------------------------------------------------------------

std::string_view manifest_accept() {
    static const std::string value = std::string(media_type::image_manifest) + ", "
                                     + std::string(media_type::image_index) + ", "
                                     + std::string(media_type::docker_manifest) + ", "
                                     + std::string(media_type::docker_manifest_list) + ", "
                                     + std::string(media_type::artifact_manifest);
    return value;
}

result<digest> parse_content_digest(std::string_view header) {
    const auto s = trim(header);
    if (s.empty()) {
        return make_failure(errc::invalid_response, "Docker-Content-Digest is missing or empty");
    }
    auto d = digest::parse(s);
    if (d) {
        return *d;
    }
    const auto code = d.error().code == errc::unsupported_digest_algorithm
                          ? errc::unsupported_digest_algorithm
                          : errc::invalid_response;
    return make_failure(code, "Docker-Content-Digest " + quote(s, 200) + ": " + d.error().message);
}

bool artifact_type_filter_applied(std::string_view filters_applied_header) noexcept {
    auto s = filters_applied_header;
    while (!s.empty()) {
        const auto comma = s.find(',');
        if (trim(s.substr(0, comma)) == "artifactType") {
            return true;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        s.remove_prefix(comma + 1);
    }
    return false;
}

// --- referrers tag schema ----------------------------------------------------------------------

std::string referrers_tag(std::string_view digest_text) {
    const auto colon = digest_text.find(':');
    const auto algorithm = digest_text.substr(0, colon).substr(0, 32);
    const auto encoded = colon == std::string_view::npos
                             ? std::string_view{}
                             : digest_text.substr(colon + 1).substr(0, 64);
    std::string tag;
    tag.reserve(algorithm.size() + 1 + encoded.size());
    tag.append(algorithm);
    tag += '-';
    tag.append(encoded);
    for (auto& c : tag) {
        const bool allowed =
            std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
        if (!allowed) {
            c = '-';
        }
    }
    return tag;
}

std::string referrers_tag(const digest& d) {
    return referrers_tag(std::string_view(d.str()));
}

// --- bodies ------------------------------------------------------------------------------------

result<std::vector<std::string>> parse_tag_list(std::string_view body,
                                                std::string_view expected_repository) {
    oras::detail::json_document doc;
    const oras::detail::json_reader rd(errc::invalid_response);
    auto root = doc.parse(body, max_list_body, "tag list", errc::invalid_response);
    if (!root) {
        return root.error();
    }
    auto obj = rd.object(*root, "tag list");
    if (!obj) {
        return obj.error();
    }
    simdjson::dom::element name_element;
    if (obj->at_key("name").get(name_element) == simdjson::SUCCESS && !name_element.is_null()) {
        auto name = rd.string(name_element, "name");
        if (!name) {
            return name.error();
        }
        if (!expected_repository.empty() && *name != expected_repository) {
            return rd.fail("tag list is for repository " + quote(*name) + ", not "
                           + quote(expected_repository));
        }
    }
    bool absent = false;
    auto tags = list_member(rd, *obj, "tags", absent);
    if (!tags) {
        return tags.error();
    }
    std::vector<std::string> out;
    if (absent) {
        return out;
    }
    out.reserve(tags->size());
    std::size_t i = 0;
    for (auto item : *tags) {
        auto tag = rd.string(item, oras::detail::element_path("tags", i++));
        if (!tag) {
            return tag.error();
        }
        if (auto v = validate_tag(*tag); !v) {
            return rd.fail("tag list: " + v.error().message);
        }
        out.push_back(std::move(*tag));
    }
    return out;
}

result<std::vector<std::string>> parse_catalog(std::string_view body) {
    oras::detail::json_document doc;
    const oras::detail::json_reader rd(errc::invalid_response);
    auto root = doc.parse(body, max_list_body, "catalog", errc::invalid_response);
    if (!root) {
        return root.error();
    }
    auto obj = rd.object(*root, "catalog");
    if (!obj) {
        return obj.error();
    }
    simdjson::dom::element e;
    if (obj->at_key("repositories").get(e) != simdjson::SUCCESS) {
        return rd.missing("repositories");
    }
    std::vector<std::string> out;
    if (e.is_null()) {
        return out;
    }
    auto repos = rd.array(e, "repositories");
    if (!repos) {
        return repos.error();
    }
    out.reserve(repos->size());
    std::size_t i = 0;
    for (auto item : *repos) {
        auto repo = rd.string(item, oras::detail::element_path("repositories", i++));
        if (!repo) {
            return repo.error();
        }
        if (auto v = validate_repository(*repo); !v) {
            return rd.fail("catalog: " + v.error().message);
        }
        out.push_back(std::move(*repo));
    }
    return out;
}

// --- errors ------------------------------------------------------------------------------------

oras::error status_error(std::string_view method, boost::urls::url_view url, unsigned status,
                         const http::fields& headers, std::string_view body,
                         std::string_view what) {
    body = body.substr(0, max_error_body);
    diagnostics diag;
    diag.method = std::string(method);
    diag.status = status;
    diag.url = redact_url(url.buffer());

    std::optional<errc> code;
    std::string cause;
    auto errors = parse_registry_errors(body);
    if (errors && !errors->empty()) {
        for (const auto& e : *errors) {
            if ((code = errc_from_registry_code(e.code))) {
                break;
            }
        }
        const auto& first = errors->front();
        cause = display(first.message.empty() ? first.code : first.message, 200);
        if (errors->size() > 1) {
            cause += " (and " + std::to_string(errors->size() - 1) + " more)";
        }
        diag.errors = std::move(*errors);
    } else {
        cause = "HTTP " + std::to_string(status);
        if (const auto text = plain_text_line(headers, body); !text.empty()) {
            cause += ": " + display(text, 200);
        }
    }
    const std::string message = what.empty() ? cause : std::string(what) + ": " + cause;
    return oras::error(make_error_code(code.value_or(errc_from_status(status))), message,
                       std::move(diag));
}

}  // namespace oras::registry::detail
