#include "http/headers.hpp"

#include <oras/diagnostics.hpp>
#include <oras/http/fields.hpp>

#include "core/quote.hpp"
#include "core/text.hpp"
#include "http/policy.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>
#include <string>

namespace oras::http::detail {
namespace {

using ::oras::detail::is_tchar;
using oras::detail::quote;
using ::oras::detail::trim;

using ::oras::detail::parse_decimal;

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
            if (!link.rel && iequals(name, "rel")) {
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
        if (i > start && iequals(rels.substr(start, i - start), wanted)) {
            return true;
        }
    }
    return false;
}

}  // namespace

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
    auto base_origin = origin_of(request_url);
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
    auto o = origin_of(out);
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

}  // namespace oras::http::detail
