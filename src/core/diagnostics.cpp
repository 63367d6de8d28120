#include <oras/diagnostics.hpp>

#include "core/json_reader.hpp"
#include "core/utf8.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <array>
#include <cctype>

namespace oras {
namespace {

bool is_secret_parameter(std::string_view key) {
    std::string k(key);
    std::transform(k.begin(), k.end(), k.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::array<std::string_view, 8> secrets = {
        "token", "signature", "sig", "password", "passwd", "secret", "credential", "auth"};
    return std::any_of(secrets.begin(), secrets.end(),
                       [&](std::string_view s) { return k.find(s) != std::string::npos; });
}

// For text Boost.URL will not parse: drop anything between "//" and an '@' of the authority,
// and the whole query (its parameters cannot be told apart, and one may be a signature).
std::string redact_unparsed(std::string_view url) {
    std::string tail;
    if (const auto q = url.find('?'); q != std::string_view::npos) {
        const auto fragment = url.find('#', q);
        tail = "?REDACTED"
               + std::string(fragment == std::string_view::npos ? "" : url.substr(fragment));
        url = url.substr(0, q);
    }
    const auto scheme_end = url.find("//");
    if (scheme_end == std::string_view::npos) {
        return std::string(url) + tail;
    }
    const auto authority = scheme_end + 2;
    const auto authority_end = std::min(url.find_first_of("/?#", authority), url.size());
    const auto at = url.substr(0, authority_end).rfind('@');
    if (at == std::string_view::npos || at < authority) {
        return std::string(url) + tail;
    }
    return std::string(url.substr(0, authority)) + std::string(url.substr(at + 1)) + tail;
}

}  // namespace

std::string redact_url(std::string_view text) {
    auto parsed = boost::urls::parse_uri_reference(text);
    if (!parsed) {
        return redact_unparsed(text);
    }
    boost::urls::url u(*parsed);
    if (u.has_userinfo()) {
        u.remove_userinfo();
    }
    if (u.encoded_query().empty()) {
        // Boost.URL 1.81 walks off the end of an empty query followed by a fragment ("?#"),
        // found by fuzzing; there is nothing to redact in it anyway.
        return std::string(u.buffer());
    }
    auto params = u.encoded_params();
    for (auto it = params.begin(); it != params.end(); ++it) {
        if ((*it).has_value && is_secret_parameter((*it).key.decode())) {
            it = params.set(it, "REDACTED");
        }
    }
    return std::string(u.buffer());
}

std::string display(std::string_view untrusted, std::size_t max_bytes) {
    std::string out;
    out.reserve(std::min(untrusted.size(), max_bytes) + 3);
    std::size_t i = 0;
    while (i < untrusted.size() && out.size() < max_bytes) {
        const auto c = static_cast<unsigned char>(untrusted[i]);
        if (c < 0x80) {
            out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
            ++i;
            continue;
        }
        // Keep valid UTF-8 sequences whole, except C1 controls (U+0080-U+009F: terminals act on
        // them); replace anything else.
        unsigned cp = 0;
        const std::size_t n = detail::utf8_length(untrusted, i, cp);
        if (n == 0 || cp < 0xa0) {
            out += '?';
            ++i;
            continue;
        }
        if (out.size() + n > max_bytes) {
            break;
        }
        out.append(untrusted.substr(i, n));
        i += n;
    }
    if (i < untrusted.size()) {
        out += "...";
    }
    return out;
}

std::string diagnostics::summary() const {
    std::string s = method;
    if (!url.empty()) {
        if (!s.empty()) {
            s += ' ';
        }
        s += display(url, 2048);
    }
    if (status != 0) {
        s += " -> " + std::to_string(status);
    }
    for (std::size_t i = 0; i < errors.size() && i < 5; ++i) {
        s += i == 0 ? ": " : "; ";
        s += display(errors[i].code, 64);
        if (!errors[i].message.empty()) {
            s += ": " + display(errors[i].message, 256);
        }
    }
    if (errors.size() > 5) {
        s += "; and " + std::to_string(errors.size() - 5) + " more";
    }
    return s;
}

result<std::vector<registry_error>> parse_registry_errors(std::string_view body) {
    detail::json_document doc;
    const detail::json_reader rd(errc::invalid_response);
    auto root = doc.parse(body, 64 * 1024, "error body", errc::invalid_response);
    if (!root) {
        return root.error();
    }
    auto obj = rd.object(*root, "error body");
    if (!obj) {
        return obj.error();
    }
    simdjson::dom::element list;
    if (obj->at_key("errors").get(list)) {
        return rd.missing("errors");
    }
    auto arr = rd.array(list, "errors");
    if (!arr) {
        return arr.error();
    }
    std::vector<registry_error> out;
    std::size_t i = 0;
    for (auto item : *arr) {
        const auto path = detail::element_path("errors", i++);
        auto entry = rd.object(item, path);
        if (!entry) {
            return entry.error();
        }
        registry_error e;
        for (auto field : *entry) {
            if (field.key == "code") {
                auto s = rd.string(field.value, detail::member_path(path, "code"));
                if (!s) {
                    return s.error();
                }
                e.code = std::move(*s);
            } else if (field.key == "message") {
                // Registries send null or omit it; only a string is kept.
                if (field.value.is_string()) {
                    e.message = std::string(field.value.get_string().value_unsafe());
                }
            } else if (field.key == "detail") {
                e.detail = simdjson::minify(field.value);
            }
        }
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace oras
