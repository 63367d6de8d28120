// Internal: untrusted input quoted for an error message.
#pragma once

#include <oras/diagnostics.hpp>

#include <string>
#include <string_view>

namespace oras::detail {

inline std::string quote(std::string_view text, std::size_t max_bytes = 160) {
    return "\"" + display(text, max_bytes) + "\"";
}

}  // namespace oras::detail
