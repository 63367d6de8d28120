// Internal: strict UTF-8 decoding, shared by the JSON writer and display().
#pragma once

#include <cstddef>
#include <string_view>

namespace oras::detail {

/// Length of the valid UTF-8 sequence at s[i] (storing its code point in `cp`), or 0 if there
/// is none: overlong forms, surrogates and code points above U+10FFFF are invalid.
inline std::size_t utf8_length(std::string_view s, std::size_t i, unsigned& cp) {
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned c = b(i);
    std::size_t n = 0;
    unsigned min = 0;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) {
        return 0;
    }
    for (std::size_t k = 1; k < n; ++k) {
        if ((b(i + k) & 0xc0) != 0x80) {
            return 0;
        }
        cp = cp << 6 | (b(i + k) & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

}  // namespace oras::detail
