#include "core/json_writer.hpp"
#include "core/utf8.hpp"

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
