#include <oras/detail/base64.hpp>

#include <array>
#include <cstdint>

namespace oras::detail {
namespace {

constexpr char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t) {
        v = -1;
    }
    for (int i = 0; i < 64; ++i) {
        t[static_cast<unsigned char>(std_alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return t;
}
constexpr auto decode_table = make_decode_table();

}  // namespace

std::string base64_encode(std::string_view bytes, bool url) {
    const char* alphabet = url ? url_alphabet : std_alphabet;
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) {
        return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const std::uint32_t v = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        out += alphabet[v >> 6 & 63];
        out += alphabet[v & 63];
    }
    const std::size_t rest = bytes.size() - i;
    if (rest > 0) {
        std::uint32_t v = byte(i) << 16;
        if (rest == 2) {
            v |= byte(i + 1) << 8;
        }
        out += alphabet[v >> 18 & 63];
        out += alphabet[v >> 12 & 63];
        if (rest == 2) {
            out += alphabet[v >> 6 & 63];
        }
        if (!url) {
            out.append(rest == 1 ? "==" : "=");
        }
    }
    return out;
}

result<std::string> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) {
        return make_failure(
            errc::invalid_argument,
            "base64 text length " + std::to_string(text.size()) + " is not a multiple of 4");
    }
    std::string out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        const bool last = i + 4 == text.size();
        std::uint32_t v = 0;
        int pad = 0;
        for (std::size_t k = 0; k < 4; ++k) {
            const char c = text[i + k];
            if (c == '=' && last && k >= 2) {
                ++pad;
                v <<= 6;
                continue;
            }
            const int d = decode_table[static_cast<unsigned char>(c)];
            if (d < 0 || pad > 0) {
                return make_failure(errc::invalid_argument,
                                    "invalid base64 character at offset " + std::to_string(i + k));
            }
            v = v << 6 | static_cast<std::uint32_t>(d);
        }
        // Non-canonical encodings (stray bits under the padding) are refused so that every
        // value has exactly one accepted text.
        if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
            return make_failure(errc::invalid_argument, "non-canonical base64 padding");
        }
        out += static_cast<char>(v >> 16 & 0xff);
        if (pad < 2) {
            out += static_cast<char>(v >> 8 & 0xff);
        }
        if (pad < 1) {
            out += static_cast<char>(v & 0xff);
        }
    }
    return out;
}

}  // namespace oras::detail
