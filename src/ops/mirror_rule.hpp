// The rules of a mirror plan, parsed and checked before any request: pure functions over the
// plan's text (the mirror's I/O is in mirror.cpp), so that they are tested and fuzzed alone.
#pragma once

#include <oras/ops/mirror.hpp>
#include <oras/result.hpp>

#include <algorithm>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace oras::ops::detail {

inline constexpr std::string_view layout_scheme = "oci-layout:";

/// A rule's `from`, parsed.
struct source_spec {
    enum class form { artifact, repository, prefix };
    form kind = form::artifact;
    std::string registry;
    std::string path;  ///< repository, or prefix (ending in '/', or empty for the whole registry)
    std::string manifest_reference;  ///< artifact: the tag or digest
};

/// A rule's `to`, parsed.
struct dest_spec {
    bool layout = false;
    bool prefix = false;
    std::string registry;
    std::string path;  ///< repository, prefix (ending in '/'), or the layout directory
    std::vector<std::string> tags;
};

/// Compiled filters.
struct compiled_filter {
    std::vector<std::regex> allow;
    std::vector<std::regex> deny;

    bool keeps(const std::string& name) const {
        const auto hit = [&name](const std::regex& r) { return std::regex_search(name, r); };
        return (allow.empty() || std::any_of(allow.begin(), allow.end(), hit))
               && std::none_of(deny.begin(), deny.end(), hit);
    }
};

/// A rule, parsed and compiled.
struct parsed_rule {
    source_spec from;
    dest_spec to;
    compiled_filter tags;
    compiled_filter repositories;
};

/// Checks and compiles `rule`; the error names the field (`from`, `to`, `tags.allow[0]`...).
result<parsed_rule> parse_rule(const mirror_rule& rule);

}  // namespace oras::ops::detail
