#include "registry/protocol.hpp"

#include <oras/diagnostics.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>

#include "core/json_reader.hpp"
#include "core/quote.hpp"
#include "core/text.hpp"
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

// Plain decimal digits only: from_chars alone would accept a prefix ("12abc").
std::optional<std::uint64_t> parse_decimal(std::string_view s) {
    if (s.empty()
        || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

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

// Resolves `text` against `request_url` and keeps it within the registry's origin: the
// requests that follow carry its credentials and content.
result<boost::urls::url> resolve_in_origin(std::string_view text, boost::urls::url_view request_url,
                                           std::string_view what) {
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::invalid_response,
                            std::string(what) + " " + quote(redact_url(text)) + " " + why);
    };
    text = trim(text);
    if (text.empty()) {
        return make_failure(errc::invalid_response, std::string(what) + " is empty");
    }
    auto base_origin = http::detail::origin_of(request_url);
    if (!base_origin) {
        return make_failure(errc::invalid_argument, "request URL "
                                                        + quote(redact_url(request_url.buffer()))
                                                        + " is not an absolute http(s) URL");
    }
    auto ref = boost::urls::parse_uri_reference(text);
    if (!ref) {
        return fail("is not a valid URI reference");
    }
    if (ref->has_userinfo()) {
        return fail("carries userinfo");
    }
    boost::urls::url out;
    if (auto r = boost::urls::resolve(request_url, *ref, out); !r) {
        return fail("cannot be resolved against the request URL");
    }
    out.remove_fragment();
    out.normalize_scheme();
    auto o = http::detail::origin_of(out);
    if (!o) {
        return fail("is not an http(s) URL with a valid host");
    }
    if (o->host != base_origin->host || o->port != base_origin->port) {
        return fail("leaves the registry " + base_origin->str());
    }
    if (base_origin->tls() && !o->tls()) {
        return fail("downgrades https to http");
    }
    return out;
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

// --- Link (RFC 8288) ---------------------------------------------------------------------------

struct link_value {
    std::string_view target;
    std::optional<std::string> rel;  // the first rel parameter only, as RFC 8288 requires
};

class link_parser {
  public:
    explicit link_parser(std::string_view field) : s_(field) {}

    // Appends the field's links to `out`; false for anything outside the grammar.
    bool parse(std::vector<link_value>& out) {
        while (true) {
            // `#rule` lists allow empty elements: ", ,<a>".
            while (i_ < s_.size() && (is_ows(s_[i_]) || s_[i_] == ',')) {
                ++i_;
            }
            if (i_ == s_.size()) {
                return true;
            }
            link_value link;
            if (!parse_link(link)) {
                return false;
            }
            out.push_back(std::move(link));
            skip_ows();
            if (i_ == s_.size()) {
                return true;
            }
            if (s_[i_] != ',') {
                return false;
            }
        }
    }

  private:
    static bool is_ows(char c) { return c == ' ' || c == '\t'; }
    void skip_ows() {
        while (i_ < s_.size() && is_ows(s_[i_])) {
            ++i_;
        }
    }

    bool parse_link(link_value& link) {
        if (s_[i_] != '<') {
            return false;
        }
        const auto close = s_.find('>', i_ + 1);
        if (close == std::string_view::npos) {
            return false;
        }
        link.target = s_.substr(i_ + 1, close - i_ - 1);
        if (link.target.find('<') != std::string_view::npos) {
            return false;
        }
        i_ = close + 1;
        while (true) {
            skip_ows();
            if (i_ == s_.size() || s_[i_] != ';') {
                return true;
            }
            ++i_;
            skip_ows();
            const auto name = token();
            if (name.empty()) {
                return false;
            }
            skip_ows();
            std::string value;
            if (i_ < s_.size() && s_[i_] == '=') {
                ++i_;
                skip_ows();
                if (i_ < s_.size() && s_[i_] == '"') {
                    if (!quoted_string(value)) {
                        return false;
                    }
                } else {
                    const auto t = token();
                    if (t.empty()) {
                        return false;
                    }
                    value = std::string(t);
                }
            }
            if (!link.rel && http::iequals(name, "rel")) {
                link.rel = std::move(value);
            }
        }
    }

    std::string_view token() {
        const auto start = i_;
        while (i_ < s_.size() && is_tchar(s_[i_])) {
            ++i_;
        }
        return s_.substr(start, i_ - start);
    }

    bool quoted_string(std::string& out) {
        ++i_;  // the opening quote
        while (i_ < s_.size()) {
            const char c = s_[i_++];
            if (c == '"') {
                return true;
            }
            if (c == '\\') {
                if (i_ == s_.size()) {
                    return false;
                }
                out += s_[i_++];
            } else if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
                return false;
            } else {
                out += c;
            }
        }
        return false;  // unterminated
    }

    std::string_view s_;
    std::size_t i_ = 0;
};

bool has_relation(std::string_view rels, std::string_view wanted) {
    std::size_t i = 0;
    while (i < rels.size()) {
        while (i < rels.size() && (rels[i] == ' ' || rels[i] == '\t')) {
            ++i;
        }
        const auto start = i;
        while (i < rels.size() && rels[i] != ' ' && rels[i] != '\t') {
            ++i;
        }
        if (i > start && http::iequals(rels.substr(start, i - start), wanted)) {
            return true;
        }
    }
    return false;
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
    return at_path(base, "/v2/");
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
    return resolve_in_origin(location, request_url, "upload Location");
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

result<byte_range> parse_content_range(std::string_view header) {
    const auto bad = [&] {
        return make_failure(errc::invalid_response, "malformed Content-Range " + quote(header, 64));
    };
    auto s = trim(header);
    if (!s.starts_with("bytes ")) {
        return bad();
    }
    s.remove_prefix(6);
    const auto slash = s.find('/');
    const auto dash = s.find('-');
    if (slash == std::string_view::npos || dash == std::string_view::npos || dash > slash) {
        return bad();
    }
    byte_range r;
    const auto first = parse_decimal(s.substr(0, dash));
    const auto last = parse_decimal(s.substr(dash + 1, slash - dash - 1));
    if (!first || !last || *last < *first) {
        return bad();
    }
    r.first = *first;
    r.last = *last;
    if (const auto total = s.substr(slash + 1); total != "*") {
        const auto t = parse_decimal(total);
        if (!t || *t <= r.last) {
            return bad();
        }
        r.total = *t;
    }
    return r;
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
                                     + std::string(media_type::docker_manifest_list);
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

result<std::optional<boost::urls::url>> parse_link_next(
    const std::vector<std::string_view>& link_headers, boost::urls::url_view request_url) {
    std::optional<boost::urls::url> next;
    std::vector<link_value> links;
    for (const auto field : link_headers) {
        links.clear();
        if (!link_parser(field).parse(links)) {
            return make_failure(errc::invalid_response,
                                "Link header " + quote(redact_url(field)) + " is malformed");
        }
        for (const auto& link : links) {
            if (!link.rel || !has_relation(*link.rel, "next")) {
                continue;
            }
            auto u = resolve_in_origin(link.target, request_url, "Link target");
            if (!u) {
                return u.error();
            }
            if (u->buffer() == request_url.buffer()) {
                return make_failure(errc::invalid_response,
                                    "Link rel=\"next\" " + quote(redact_url(link.target))
                                        + " points back at the page it came with");
            }
            if (next && next->buffer() != u->buffer()) {
                return make_failure(errc::invalid_response,
                                    "Link headers name two different next pages, "
                                        + quote(redact_url(next->buffer())) + " and "
                                        + quote(redact_url(u->buffer())));
            }
            next = std::move(*u);
        }
    }
    return next;
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
