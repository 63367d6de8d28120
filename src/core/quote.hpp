// Internal: untrusted input quoted for an error message.
#pragma once

#include <oras/diagnostics.hpp>

#include <string>
#include <string_view>

namespace oras::detail {

inline std::string quote(std::string_view text, std::size_t max_bytes = 160) {
    // Appended, not `"\"" + display(...)`: g++ 12 at -O3 reports a false -Wrestrict inside the
    // inlined operator+(const char*, string&&).
    const auto shown = display(text, max_bytes);
    std::string out;
    out.reserve(shown.size() + 2);
    out += '"';
    out += shown;
    out += '"';
    return out;
}

}  // namespace oras::detail
