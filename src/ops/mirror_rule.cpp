// mirror_rule: the parsing of a mirror plan's rules, and the other pure parts of ops/mirror.hpp.
#include "ops/mirror_rule.hpp"

#include <oras/ops/location.hpp>
#include <oras/reference.hpp>

#include "core/quote.hpp"

#include <charconv>

namespace oras::ops {

using oras::detail::quote;

namespace detail {

namespace {

failure bad(std::string_view field, std::string message) {
    return failure{make_error_code(errc::invalid_argument),
                   std::string(field) + ": " + std::move(message)};
}

/// `host/` or `host/path/`: the registry, and the path with its trailing '/' (or empty).
result<std::pair<std::string, std::string>> parse_prefix(std::string_view field,
                                                         std::string_view text) {
    const auto slash = text.find('/');
    std::pair<std::string, std::string> out{text.substr(0, slash), text.substr(slash + 1)};
    if (auto v = validate_registry(out.first); !v) {
        return bad(field, quote(text) + ": " + v.error().message);
    }
    if (!out.second.empty()) {
        if (auto v = validate_repository(out.second.substr(0, out.second.size() - 1)); !v) {
            return bad(field, quote(text) + ": " + v.error().message);
        }
    }
    return out;
}

result<source_spec> parse_source(std::string_view from) {
    source_spec s;
    if (from.empty()) {
        return bad("from", "empty");
    }
    if (from.starts_with(layout_scheme)) {
        return bad("from",
                   quote(from) + ": an OCI layout cannot be a mirror source (copy it with `cp`)");
    }
    if (from.ends_with('/')) {
        s.kind = source_spec::form::prefix;
        auto p = parse_prefix("from", from);
        if (!p) {
            return failure{p.error()};
        }
        s.registry = std::move(p->first);
        s.path = std::move(p->second);
        return s;
    }
    auto ref = reference::parse(from);
    if (!ref) {
        return bad("from", ref.error().message);
    }
    s.registry = ref->registry();
    s.path = ref->repository();
    s.manifest_reference = ref->manifest_reference();
    s.kind =
        s.manifest_reference.empty() ? source_spec::form::repository : source_spec::form::artifact;
    return s;
}

result<dest_spec> parse_dest(std::string_view to) {
    dest_spec d;
    if (to.empty()) {
        return bad("to", "empty");
    }
    if (to.starts_with(layout_scheme)) {
        d.layout = true;
        auto split = split_layout_reference(to.substr(layout_scheme.size()));
        if (split.dir.empty()) {
            return bad("to", quote(to) + ": name the layout directory, oci-layout:DIR");
        }
        if (!split.reference.empty()) {
            if (split.reference.find(':') != std::string::npos) {
                return bad("to", quote(to) + ": a destination is tagged, not given a digest");
            }
            auto tags = parse_tag_list(split.reference);
            if (!tags) {
                return bad("to", tags.error().message);
            }
            d.tags = std::move(*tags);
        }
        d.path = split.dir.string();
        return d;
    }
    if (to.ends_with('/')) {
        d.prefix = true;
        auto p = parse_prefix("to", to);
        if (!p) {
            return failure{p.error()};
        }
        d.registry = std::move(p->first);
        d.path = std::move(p->second);
        return d;
    }
    auto split = split_tags(to);
    if (!split) {
        return bad("to", split.error().message);
    }
    auto ref = reference::parse(split->reference);
    if (!ref) {
        return bad("to", ref.error().message);
    }
    if (ref->has_digest()) {
        return bad("to", quote(to) + ": a destination is tagged, not given a digest");
    }
    d.registry = ref->registry();
    d.path = ref->repository();
    d.tags = std::move(split->tags);
    return d;
}

result<compiled_filter> compile(const name_filter& f, std::string_view field) {
    compiled_filter out;
    const auto one = [&](const std::vector<std::string>& patterns, std::string_view which,
                         std::vector<std::regex>& into) -> result<void> {
        for (std::size_t i = 0; i < patterns.size(); ++i) {
            try {
                into.emplace_back(patterns[i], std::regex::ECMAScript);
            } catch (const std::regex_error& e) {
                return bad(
                    std::string(field) + "." + std::string(which) + "[" + std::to_string(i) + "]",
                    quote(patterns[i]) + " is not a regular expression (" + e.what() + ")");
            }
        }
        return {};
    };
    if (auto r = one(f.allow, "allow", out.allow); !r) {
        return failure{r.error()};
    }
    if (auto r = one(f.deny, "deny", out.deny); !r) {
        return failure{r.error()};
    }
    return out;
}

}  // namespace

result<parsed_rule> parse_rule(const mirror_rule& rule) {
    parsed_rule p;
    auto from = parse_source(rule.from);
    if (!from) {
        return failure{from.error()};
    }
    auto to = parse_dest(rule.to);
    if (!to) {
        return failure{to.error()};
    }
    if (from->kind == source_spec::form::prefix && !to->prefix && !to->layout) {
        return bad("to", quote(rule.to) + ": the source " + quote(rule.from)
                             + " is a prefix: give a destination prefix (ending in '/') or "
                               "oci-layout:DIR");
    }
    if (!to->tags.empty() && from->kind != source_spec::form::artifact) {
        return bad("to", quote(rule.to) + ": tags can be given only for one source artifact");
    }
    auto tags = compile(rule.tags, "tags");
    if (!tags) {
        return failure{tags.error()};
    }
    auto repos = compile(rule.repositories, "repositories");
    if (!repos) {
        return failure{repos.error()};
    }
    p.from = std::move(*from);
    p.to = std::move(*to);
    p.tags = std::move(*tags);
    p.repositories = std::move(*repos);
    return p;
}

}  // namespace detail

std::string_view to_string(mirror_action a) noexcept {
    switch (a) {
        case mirror_action::copied:
            return "copied";
        case mirror_action::skipped:
            return "skipped";
        case mirror_action::failed:
            return "failed";
        case mirror_action::planned:
            return "planned";
    }
    return "unknown";
}

result<void> validate(const mirror_rule& rule) {
    auto p = detail::parse_rule(rule);
    if (!p) {
        return failure{p.error()};
    }
    return {};
}

result<mirror_shard> parse_shard(std::string_view text) {
    const auto slash = text.find('/');
    mirror_shard s;
    const auto number = [](std::string_view t, std::size_t& v) {
        const auto* end = t.data() + t.size();
        auto [p, ec] = std::from_chars(t.data(), end, v);
        return !t.empty() && ec == std::errc{} && p == end;
    };
    if (slash == std::string_view::npos || !number(text.substr(0, slash), s.index)
        || !number(text.substr(slash + 1), s.count) || s.count == 0 || s.index >= s.count) {
        return failure{make_error_code(errc::invalid_argument),
                       "shard " + quote(text) + " is not I/N with 0 <= I < N"};
    }
    return s;
}

bool in_shard(std::string_view source, mirror_shard shard) noexcept {
    if (shard.count <= 1) {
        return true;
    }
    std::uint64_t h = 14695981039346656037ull;
    for (const char c : source) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h % shard.count == shard.index;
}

}  // namespace oras::ops
