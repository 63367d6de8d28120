// Shared by the libFuzzer targets: the input as text, and invariants that abort with a message
// (a crash libFuzzer records with its input) instead of silently passing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace oras::fuzz {

inline std::string_view text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// Aborts, naming the broken invariant, when `ok` is false.
inline void require(bool ok, const char* invariant) {
    if (!ok) {
        std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
        std::abort();
    }
}

/// Splits `input` at the first `sep` bytes: one input feeds two parameters.
inline std::vector<std::string_view> split(std::string_view input, char sep, std::size_t parts) {
    std::vector<std::string_view> out;
    while (out.size() + 1 < parts) {
        const auto at = input.find(sep);
        if (at == std::string_view::npos) {
            break;
        }
        out.push_back(input.substr(0, at));
        input.remove_prefix(at + 1);
    }
    out.push_back(input);
    while (out.size() < parts) {
        out.emplace_back();
    }
    return out;
}

}  // namespace oras::fuzz
