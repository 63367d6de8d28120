#include "core/json_writer.hpp"

#include <cassert>

namespace oras::detail {
namespace {

constexpr char hex[] = "0123456789abcdef";

void append_u(std::string& out, unsigned cp) {
    out += "\\u";
    out += hex[cp >> 12 & 15];
    out += hex[cp >> 8 & 15];
    out += hex[cp >> 4 & 15];
    out += hex[cp & 15];
}

// Length of the valid UTF-8 sequence at s[i], or 0 if it is not one (overlong forms,
// surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_length(std::string_view s, std::size_t i, unsigned& cp) {
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

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '<':
                case '>':
                case '&':
                    append_u(out, c);
                    break;
                default:
                    if (c < 0x20) {
                        append_u(out, c);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        unsigned cp = 0;
        const std::size_t n = utf8_length(s, i, cp);
        if (n == 0) {
            append_u(out, 0xfffd);
            ++i;
        } else if (cp == 0x2028 || cp == 0x2029) {
            append_u(out, cp);
            i += n;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    out += '"';
}

void json_writer::separate() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) {
            out_ += ',';
        }
        first_.back() = false;
    }
}

void json_writer::open(char c) {
    separate();
    out_ += c;
    first_.push_back(true);
}

void json_writer::close(char c) {
    assert(!first_.empty() && !after_key_);
    first_.pop_back();
    out_ += c;
}

void json_writer::key(std::string_view k) {
    separate();
    append_json_string(out_, k);
    out_ += ':';
    after_key_ = true;
}

void json_writer::value(std::string_view s) {
    separate();
    append_json_string(out_, s);
}

void json_writer::value(std::int64_t n) {
    separate();
    out_ += std::to_string(n);
}

void json_writer::optional(std::string_view k, std::string_view v) {
    if (!v.empty()) {
        key(k);
        value(v);
    }
}

}  // namespace oras::detail
