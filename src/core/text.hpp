// Internal: small text helpers shared by the header parsers (HTTP, challenges, registry).
#pragma once

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace oras::detail {

/// Without leading and trailing optional whitespace (RFC 9110 OWS: spaces and tabs).
/// `s` as an unsigned decimal: digits only (no sign, space or prefix; from_chars alone would
/// accept "12abc"), and no overflow.
inline std::optional<std::uint64_t> parse_decimal(std::string_view s) {
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

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// A character of an RFC 9110 token.
inline bool is_tchar(char c) {
    return std::isalnum(static_cast<unsigned char>(c))
           || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// ASCII lowercase, whatever the locale.
inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace oras::detail
