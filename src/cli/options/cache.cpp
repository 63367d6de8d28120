#include "cli/options/cache.hpp"

#include <oras/error.hpp>

#include "core/quote.hpp"

#include <cstdlib>
#include <limits>
#include <string>

namespace oras::cli {

std::optional<std::uint64_t> parse_size(std::string_view text) {
    std::uint64_t n = 0;
    std::size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        const auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
            return std::nullopt;
        }
        n = n * 10 + digit;
    }
    if (i == 0) {
        return std::nullopt;
    }
    auto suffix = text.substr(i);
    unsigned shift = 0;
    if (!suffix.empty()) {
        switch (suffix.front()) {
            case 'K':
            case 'k':
                shift = 10;
                break;
            case 'M':
            case 'm':
                shift = 20;
                break;
            case 'G':
            case 'g':
                shift = 30;
                break;
            case 'T':
            case 't':
                shift = 40;
                break;
            case 'B':
            case 'b':
                break;
            default:
                return std::nullopt;
        }
        if (shift != 0) {
            suffix.remove_prefix(1);
            if (suffix.starts_with("i") || suffix.starts_with("I")) {
                suffix.remove_prefix(1);
            }
        }
        if (suffix == "B" || suffix == "b") {
            suffix.remove_prefix(1);
        }
        if (!suffix.empty()) {
            return std::nullopt;
        }
    }
    if (shift != 0 && n > (std::numeric_limits<std::uint64_t>::max() >> shift)) {
        return std::nullopt;
    }
    return n << shift;
}

std::shared_ptr<content::blob_cache> cache_from_environment() {
    const char* dir = std::getenv("ORAS_CACHE");
    if (dir == nullptr || *dir == '\0') {
        return nullptr;
    }
    content::blob_cache_options o;
    if (const char* max = std::getenv("ORAS_CACHE_MAX_SIZE"); max != nullptr && *max != '\0') {
        const auto bytes = parse_size(max);
        if (!bytes) {
            throw error(errc::invalid_argument,
                        "ORAS_CACHE_MAX_SIZE=" + oras::detail::quote(max)
                            + " is not a size (bytes, or a number with K, M, G or T)");
        }
        o.max_bytes = *bytes;
    }
    return std::make_shared<content::blob_cache>(dir, o);
}

std::filesystem::path tree_cache_from_environment() {
    const auto absolute = [](const char* name) -> std::filesystem::path {
        const char* v = std::getenv(name);
        if (v == nullptr || *v != '/') {
            return {};
        }
        return v;
    };
    if (const char* dir = std::getenv("ORAS_CACHE"); dir != nullptr && *dir != '\0') {
        return std::filesystem::path(dir) / "trees";
    }
    if (auto xdg = absolute("XDG_CACHE_HOME"); !xdg.empty()) {
        return xdg / "oras-cpp" / "trees";
    }
    if (auto home = absolute("HOME"); !home.empty()) {
        return home / ".cache" / "oras-cpp" / "trees";
    }
    return {};
}

}  // namespace oras::cli
