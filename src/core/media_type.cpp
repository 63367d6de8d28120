#include <oras/media_type.hpp>

namespace oras::media_type {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// restricted-name = restricted-name-first *126restricted-name-chars (RFC 6838 section 4.2)
bool is_restricted_name(std::string_view s) {
    if (s.empty() || s.size() > 127 || !is_alnum(s.front())) {
        return false;
    }
    for (char c : s.substr(1)) {
        const bool ok = is_alnum(c) || c == '!' || c == '#' || c == '$' || c == '&' || c == '-'
                        || c == '^' || c == '_' || c == '.' || c == '+';
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool is_valid(std::string_view t) noexcept {
    const auto slash = t.find('/');
    return slash != std::string_view::npos && is_restricted_name(t.substr(0, slash))
           && is_restricted_name(t.substr(slash + 1));
}

}  // namespace oras::media_type
