#include <oras/reference.hpp>

#include "core/quote.hpp"
#include "core/reads_as_digest.hpp"

#include <boost/url/grammar/parse.hpp>
#include <boost/url/rfc/ipv6_address_rule.hpp>

#include <algorithm>
#include <ostream>

namespace oras {
namespace {

constexpr std::size_t name_total_length_max = 255;
constexpr std::size_t tag_length_max = 128;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c);
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
bool is_word(char c) {
    return is_alnum(c) || c == '_';
}

failure bad(errc code, std::string_view text, const std::string& why) {
    return make_failure(code, "invalid reference " + detail::quote(text) + ": " + why);
}

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view c) {
    if (c.empty() || !is_alnum(c.front()) || !is_alnum(c.back())) {
        return false;
    }
    return std::all_of(c.begin(), c.end(), [](char ch) { return is_alnum(ch) || ch == '-'; });
}

// path-component := [a-z0-9]+ ((. | _ | __ | -+) [a-z0-9]+)*
bool is_path_component(std::string_view c) {
    std::size_t i = 0;
    const auto alnum_run = [&] {
        const auto start = i;
        while (i < c.size() && is_lower_alnum(c[i])) {
            ++i;
        }
        return i > start;
    };
    if (!alnum_run()) {
        return false;
    }
    while (i < c.size()) {
        if (c[i] == '.') {
            ++i;
        } else if (c[i] == '_') {
            ++i;
            if (i < c.size() && c[i] == '_') {
                ++i;
            }
        } else if (c[i] == '-') {
            while (i < c.size() && c[i] == '-') {
                ++i;
            }
        } else {
            return false;
        }
        if (!alnum_run()) {
            return false;
        }
    }
    return true;
}

struct split_registry {
    std::string_view host;  // without brackets
    std::optional<std::uint16_t> port;
};

result<split_registry> parse_registry(std::string_view registry) {
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::invalid_reference,
                            "registry " + detail::quote(registry) + " " + why);
    };
    if (registry.empty()) {
        return fail("is empty");
    }
    split_registry out;
    std::string_view port_text;
    bool has_port = false;
    if (registry.front() == '[') {
        const auto close = registry.find(']');
        if (close == std::string_view::npos) {
            return fail("has no ']' closing its IPv6 address");
        }
        out.host = registry.substr(1, close - 1);
        if (out.host.empty()
            || !boost::urls::grammar::parse(out.host, boost::urls::ipv6_address_rule)) {
            return fail("has an invalid IPv6 address " + detail::quote(out.host));
        }
        const auto after = registry.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return fail("has " + detail::quote(after) + " after its IPv6 address");
            }
            has_port = true;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = registry.find(':');
        out.host = registry.substr(0, colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port_text = registry.substr(colon + 1);
        }
        std::size_t start = 0;
        while (true) {
            const auto dot = out.host.find('.', start);
            const auto component = out.host.substr(start, dot - start);
            if (!is_domain_component(component)) {
                return fail("has an invalid host component " + detail::quote(component)
                            + " (letters, digits and inner '-' only)");
            }
            if (dot == std::string_view::npos) {
                break;
            }
            start = dot + 1;
        }
    }
    if (has_port) {
        if (port_text.empty() || port_text.size() > 5
            || !std::all_of(port_text.begin(), port_text.end(), is_digit)) {
            return fail("has an invalid port " + detail::quote(port_text));
        }
        unsigned long value = std::stoul(std::string(port_text));
        if (value == 0 || value > 65535) {
            return fail("has port " + std::string(port_text) + " outside 1-65535");
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    return out;
}

}  // namespace

result<void> validate_registry(std::string_view registry) {
    auto r = parse_registry(registry);
    if (!r) {
        return r.error();
    }
    return {};
}

result<void> validate_repository(std::string_view repository, std::string_view registry) {
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::invalid_reference,
                            "repository " + detail::quote(repository) + " " + why);
    };
    if (repository.empty()) {
        return fail("is empty");
    }
    const std::size_t total =
        registry.empty() ? repository.size() : registry.size() + 1 + repository.size();
    if (total > name_total_length_max) {
        return fail("makes a name of " + std::to_string(total) + " characters, over the limit of "
                    + std::to_string(name_total_length_max));
    }
    if (std::any_of(repository.begin(), repository.end(),
                    [](char c) { return c >= 'A' && c <= 'Z'; })) {
        return fail("must be lowercase");
    }
    std::size_t start = 0;
    while (true) {
        const auto slash = repository.find('/', start);
        const auto component = repository.substr(start, slash - start);
        if (!is_path_component(component)) {
            return fail("has an invalid path component " + detail::quote(component)
                        + " (lowercase letters and digits, separated by '.', '_', '__' or '-')");
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    return {};
}

result<void> validate_tag(std::string_view tag) {
    if (tag.empty()) {
        return make_failure(errc::invalid_reference, "tag is empty");
    }
    if (tag.size() > tag_length_max) {
        return make_failure(errc::invalid_reference, "tag " + detail::quote(tag, 40) + " has "
                                                         + std::to_string(tag.size())
                                                         + " characters, over the limit of 128");
    }
    const bool ok = is_word(tag.front()) && std::all_of(tag.begin(), tag.end(), [](char c) {
                        return is_word(c) || c == '.' || c == '-';
                    });
    if (!ok) {
        return make_failure(
            errc::invalid_reference,
            "tag " + detail::quote(tag) + " must match [A-Za-z0-9_][A-Za-z0-9_.-]*");
    }
    return {};
}

result<void> validate_ref_name(std::string_view name) {
    if (validate_tag(name)) {
        return {};
    }
    constexpr std::size_t ref_name_max = 1024;
    if (name.empty() || name.size() > ref_name_max) {
        return make_failure(errc::invalid_reference,
                            name.empty() ? std::string("the reference is empty")
                                         : "reference " + detail::quote(name, 40) + " has "
                                               + std::to_string(name.size())
                                               + " characters, over the limit of 1024");
    }
    if (detail::reads_as_digest(name)) {
        // `resolve` reads such a name as a digest: stored as a name, it could not be found.
        return make_failure(errc::invalid_reference,
                            "reference " + detail::quote(name, 40) + " would be read as a digest");
    }
    // ref ::= component ("/" component)*; component ::= alnum+ (separator alnum+)*;
    // separator ::= [-._:@+] | "--". So: every run of non-alphanumerics inside a component is
    // one separator character or "--", and components neither start nor end with one.
    bool ok = true;
    std::size_t start = 0;
    while (ok) {
        const auto slash = name.find('/', start);
        const auto c = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
        ok = !c.empty() && is_alnum(c.front()) && is_alnum(c.back());
        for (std::size_t i = 0; ok && i < c.size();) {
            if (is_alnum(c[i])) {
                ++i;
                continue;
            }
            std::size_t j = i;
            while (j < c.size() && !is_alnum(c[j])) {
                ++j;
            }
            const auto run = c.substr(i, j - i);
            ok = run == "--"
                 || (run.size() == 1
                     && std::string_view("-._:@+").find(run[0]) != std::string_view::npos);
            i = j;
        }
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    if (!ok) {
        return make_failure(errc::invalid_reference,
                            "reference " + detail::quote(name)
                                + " is neither a tag nor an OCI layout reference name (letters "
                                  "and digits joined by one of -._:@+ or --, parts separated "
                                  "by /)");
    }
    return {};
}

result<reference> reference::parse(std::string_view text) {
    if (text.empty()) {
        return bad(errc::invalid_reference, text, "empty");
    }
    reference ref;
    auto name_tag = text;
    if (const auto at = text.find('@'); at != std::string_view::npos) {
        name_tag = text.substr(0, at);
        auto d = oras::digest::parse(text.substr(at + 1));
        if (!d) {
            return bad(d.error().code == errc::unsupported_digest_algorithm
                           ? errc::unsupported_digest_algorithm
                           : errc::invalid_reference,
                       text, d.error().message);
        }
        ref.digest_ = std::move(*d);
    }
    const auto slash = name_tag.find('/');
    if (slash == std::string_view::npos) {
        return bad(errc::invalid_reference, text,
                   "missing repository (expected registry/repository[:tag][@digest])");
    }
    const auto registry = name_tag.substr(0, slash);
    auto split = parse_registry(registry);
    if (!split) {
        return bad(errc::invalid_reference, text, split.error().message);
    }
    auto repository = name_tag.substr(slash + 1);
    if (const auto colon = repository.rfind(':'); colon != std::string_view::npos) {
        const auto tag = repository.substr(colon + 1);
        if (auto t = validate_tag(tag); !t) {
            return bad(errc::invalid_reference, text, t.error().message);
        }
        ref.tag_ = std::string(tag);
        repository = repository.substr(0, colon);
    }
    if (auto r = validate_repository(repository, registry); !r) {
        return bad(errc::invalid_reference, text, r.error().message);
    }
    ref.registry_ = std::string(registry);
    ref.port_ = split->port;
    ref.repository_ = std::string(repository);
    return ref;
}

result<reference> reference::parse_docker(std::string_view text) {
    const auto slash = text.find('/');
    std::string registry;
    std::string_view remainder = text;
    const auto first = text.substr(0, slash);
    const bool first_is_registry =
        slash != std::string_view::npos
        && (first.find_first_of(".:") != std::string_view::npos || first == "localhost"
            || std::any_of(first.begin(), first.end(),
                           [](char c) { return c >= 'A' && c <= 'Z'; }));
    if (first_is_registry) {
        registry = std::string(first);
        remainder = text.substr(slash + 1);
    } else {
        registry = "docker.io";
    }
    if (registry == "index.docker.io") {
        registry = "docker.io";
    }
    std::string normalized = registry + "/";
    // One-component Docker Hub names live under library/. The path ends at the first ':' or '@'.
    const auto path =
        remainder.substr(0, std::min(remainder.find_first_of(":@"), remainder.size()));
    if (registry == "docker.io" && path.find('/') == std::string_view::npos) {
        normalized += "library/";
    }
    normalized += remainder;
    return parse(normalized);
}

std::string_view reference::host() const noexcept {
    std::string_view r = registry_;
    if (!r.empty() && r.front() == '[') {
        return r.substr(1, r.find(']') - 1);
    }
    return r.substr(0, r.find(':'));
}

std::string reference::endpoint() const {
    return registry_ == "docker.io" ? std::string("registry-1.docker.io") : registry_;
}

std::string reference::name() const {
    return registry_ + "/" + repository_;
}

std::string reference::str() const {
    std::string s = name();
    if (has_tag()) {
        s += ':';
        s += tag_;
    }
    if (has_digest()) {
        s += '@';
        s += digest_.str();
    }
    return s;
}

std::string reference::manifest_reference() const {
    return has_digest() ? digest_.str() : tag_;
}

result<reference> reference::with_tag(std::string_view tag) const {
    if (auto t = validate_tag(tag); !t) {
        return t.error();
    }
    reference r = *this;
    r.tag_ = std::string(tag);
    r.digest_ = {};
    return r;
}

reference reference::with_digest(const oras::digest& d) const {
    reference r = *this;
    r.tag_.clear();
    r.digest_ = d;
    return r;
}

std::ostream& operator<<(std::ostream& os, const reference& r) {
    return os << r.str();
}

result<std::vector<std::string>> parse_tag_list(std::string_view list) {
    std::vector<std::string> tags;
    while (true) {
        const auto comma = list.find(',');
        const auto tag = list.substr(0, comma);
        if (auto v = validate_tag(tag); !v) {
            return v.error();
        }
        tags.emplace_back(tag);
        if (comma == std::string_view::npos) {
            return tags;
        }
        list.remove_prefix(comma + 1);
    }
}

result<tagged_reference> split_tags(std::string_view text) {
    tagged_reference out;
    const auto at = text.find('@');
    const auto slash = text.rfind('/', at);
    const auto colon = text.find(':', slash == std::string_view::npos ? 0 : slash);
    if (slash == std::string_view::npos || colon == std::string_view::npos
        || (at != std::string_view::npos && colon > at)) {
        out.reference = std::string(text);
        return out;
    }
    const auto tag_end = at == std::string_view::npos ? text.size() : at;
    auto tags = parse_tag_list(text.substr(colon + 1, tag_end - colon - 1));
    if (!tags) {
        return tags.error();
    }
    out.tags = std::move(*tags);
    out.reference = std::string(text.substr(0, colon + 1)) + out.tags.front()
                    + std::string(text.substr(tag_end));
    return out;
}

}  // namespace oras
