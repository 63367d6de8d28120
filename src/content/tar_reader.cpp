#include "content/tar_reader.hpp"

#include "core/quote.hpp"
#include "core/text.hpp"

#include <oras/error.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

namespace oras::content::detail {

using oras::detail::quote;

namespace {

[[noreturn]] void unsafe(const std::string& message) {
    throw error(make_error_code(errc::invalid_response), message);
}

struct tar_header_view {
    const unsigned char* b;

    std::string field(std::size_t off, std::size_t len) const {
        const auto* p = reinterpret_cast<const char*>(b + off);
        return std::string(p, strnlen(p, len));
    }
    bool is_zero() const {
        return std::all_of(b, b + 512, [](unsigned char c) { return c == 0; });
    }
    bool is_ustar() const { return std::memcmp(b + 257, "ustar\0", 6) == 0; }
    char type() const { return static_cast<char>(b[156]); }
};

// Octal (space or NUL padded) or base-256 (high bit of the first byte set, GNU and star).
std::optional<std::int64_t> parse_number(const unsigned char* p, std::size_t len) {
    if ((p[0] & 0x80) != 0) {
        if (p[0] == 0xff) {
            return std::nullopt;  // negative: no field we use may be
        }
        std::uint64_t v = p[0] & 0x7f;
        for (std::size_t i = 1; i < len; ++i) {
            if (v > (std::numeric_limits<std::uint64_t>::max() >> 8)) {
                return std::nullopt;
            }
            v = (v << 8) | p[i];
        }
        if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(v);
    }
    std::size_t i = 0;
    while (i < len && (p[i] == ' ' || p[i] == 0)) {
        ++i;
    }
    std::size_t end = len;
    while (end > i && (p[end - 1] == ' ' || p[end - 1] == 0)) {
        --end;
    }
    std::uint64_t v = 0;
    for (; i < end; ++i) {
        if (p[i] < '0' || p[i] > '7' || v > (std::numeric_limits<std::uint64_t>::max() >> 3)) {
            return std::nullopt;
        }
        v = (v << 3) | static_cast<unsigned>(p[i] - '0');
    }
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(v);
}

// The digits as core's parse_decimal reads them, with an optional '-' and at most 18 of them
// (always within int64).
std::optional<std::int64_t> parse_decimal(std::string_view s, bool allow_sign) {
    const bool negative = allow_sign && s.starts_with('-');
    if (negative) {
        s.remove_prefix(1);
    }
    if (s.size() > 18) {
        return std::nullopt;
    }
    const auto v = ::oras::detail::parse_decimal(s);
    if (!v) {
        return std::nullopt;
    }
    const auto n = static_cast<std::int64_t>(*v);
    return negative ? -n : n;
}

}  // namespace

std::string tar_reader::after() const {
    return member_.empty() ? "at the start of the archive" : "after " + quote(member_);
}

void tar_reader::begin_body(stage s, std::uint64_t size, tar_handler& h) {
    stage_ = s;
    body_left_ = size;
    pad_left_ = (block - size % block) % block;
    if (size == 0) {
        end_body(h);
    }
}

void tar_reader::end_body(tar_handler& h) {
    if (stage_ == stage::file_data) {
        h.on_end_of_data();
    } else if (stage_ == stage::meta_data) {
        end_meta();
    }
    stage_ = pad_left_ > 0 ? stage::padding : stage::header;
}

void tar_reader::parse_pax(bool global) {
    std::string_view rest = meta_;
    while (!rest.empty()) {
        const auto space = rest.find(' ');
        const auto len = space == std::string_view::npos
                             ? std::nullopt
                             : parse_decimal(rest.substr(0, space), false);
        if (!len || *len <= static_cast<std::int64_t>(space) + 1
            || static_cast<std::uint64_t>(*len) > rest.size()
            || rest[static_cast<std::size_t>(*len) - 1] != '\n') {
            unsafe("malformed PAX header " + after());
        }
        const auto record = rest.substr(space + 1, static_cast<std::size_t>(*len) - space - 2);
        rest.remove_prefix(static_cast<std::size_t>(*len));
        const auto eq = record.find('=');
        if (eq == std::string_view::npos || eq == 0) {
            unsafe("malformed PAX record " + quote(record));
        }
        const auto key = record.substr(0, eq);
        const auto value = record.substr(eq + 1);
        if (key.starts_with("GNU.sparse.")) {
            unsafe("sparse files are not supported (PAX record " + quote(key) + ")");
        }
        if (global) {
            continue;  // defaults for later members: nothing we use is taken from them
        }
        // An empty value removes the keyword (POSIX pax).
        if (key == "path") {
            pax_path_ = value.empty() ? std::nullopt : std::optional<std::string>(value);
        } else if (key == "linkpath") {
            pax_linkpath_ = value.empty() ? std::nullopt : std::optional<std::string>(value);
        } else if (key == "size") {
            pax_size_ = value.empty() ? std::nullopt : parse_decimal(value, false);
            if (!value.empty() && !pax_size_) {
                unsafe("malformed PAX size " + quote(value));
            }
        } else if (key == "mtime") {
            const auto whole = value.substr(0, value.find('.'));
            pax_mtime_ = whole.empty() ? std::nullopt : parse_decimal(whole, true);
        }
    }
}

void tar_reader::end_meta() {
    switch (meta_kind_) {
        case 'x':
            parse_pax(false);
            break;
        case 'g':
            parse_pax(true);
            break;
        case 'L':
            long_name_ = meta_.substr(0, meta_.find('\0'));
            break;
        case 'K':
            long_link_ = meta_.substr(0, meta_.find('\0'));
            break;
        default:
            break;
    }
    meta_.clear();
}

void tar_reader::on_header(tar_handler& h) {
    const tar_header_view view{hdr_.data()};
    if (view.is_zero()) {
        if (++zero_blocks_ == 2) {
            stage_ = stage::end;
        }
        return;
    }
    if (zero_blocks_ > 0) {
        unsafe("malformed tar: a lone zero block before the end of the archive");
    }
    // Checksum: the header's bytes with the checksum field as spaces, summed unsigned (or
    // signed, as some old tars did).
    std::uint64_t usum = 0;
    std::int64_t ssum = 0;
    for (std::size_t i = 0; i < block; ++i) {
        const unsigned char c = (i >= 148 && i < 156) ? ' ' : hdr_[i];
        usum += c;
        ssum += static_cast<signed char>(c);
    }
    const auto chk = parse_number(hdr_.data() + 148, 8);
    if (!chk || (static_cast<std::uint64_t>(*chk) != usum && *chk != ssum)) {
        unsafe("malformed tar: bad header checksum " + after());
    }
    const auto size = parse_number(hdr_.data() + 124, 12);
    if (!size) {
        unsafe("malformed tar: bad size in the header " + after());
    }
    const char type = view.type();
    if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
        if (static_cast<std::uint64_t>(*size) > meta_limit) {
            unsafe("malformed tar: an extended header of " + std::to_string(*size)
                   + " bytes (more than " + std::to_string(meta_limit) + ") " + after());
        }
        meta_kind_ = type;
        meta_.clear();
        meta_.reserve(static_cast<std::size_t>(*size));
        begin_body(stage::meta_data, static_cast<std::uint64_t>(*size), h);
        return;
    }
    on_member(type, *size, h);
}

void tar_reader::on_member(char type, std::int64_t header_size, tar_handler& h) {
    const tar_header_view view{hdr_.data()};
    tar_member m;
    if (pax_path_) {
        m.name = *pax_path_;
    } else if (long_name_) {
        m.name = *long_name_;
    } else {
        m.name = view.field(0, 100);
        if (view.is_ustar()) {  // POSIX ustar; GNU's "ustar  " keeps other data there
            const auto pre = view.field(345, 155);
            if (!pre.empty()) {
                m.name = pre + "/" + m.name;
            }
        }
    }
    m.link = pax_linkpath_ ? *pax_linkpath_ : long_link_ ? *long_link_ : view.field(157, 100);
    const std::int64_t size = pax_size_.value_or(header_size);
    m.size = static_cast<std::uint64_t>(size);
    m.mode = parse_number(hdr_.data() + 100, 8).value_or(0644);
    m.mtime = pax_mtime_ ? *pax_mtime_ : parse_number(hdr_.data() + 136, 12).value_or(0);
    pax_path_.reset();
    pax_linkpath_.reset();
    pax_size_.reset();
    pax_mtime_.reset();
    long_name_.reset();
    long_link_.reset();

    member_ = m.name.substr(0, std::min<std::size_t>(m.name.size(), 512));
    if (m.name.size() > name_limit) {
        unsafe("member " + quote(m.name) + " has a name of " + std::to_string(m.name.size())
               + " bytes, more than " + std::to_string(name_limit));
    }
    if (m.link.size() > name_limit) {
        unsafe("member " + quote(m.name) + " has a link target of " + std::to_string(m.link.size())
               + " bytes, more than " + std::to_string(name_limit));
    }
    if (type == 'S') {
        unsafe("member " + quote(m.name) + " is a GNU sparse file, which is not supported");
    }
    const bool regular = type == '0' || type == '\0' || type == '7';
    if (type == '5' || (regular && !m.name.empty() && m.name.back() == '/')) {
        m.type = tar_member::kind::directory;
    } else if (regular) {
        m.type = tar_member::kind::regular;
    } else if (type == '2') {
        m.type = tar_member::kind::symlink;
    } else if (type == '1') {
        m.type = tar_member::kind::hard_link;
    }
    h.on_member(m);
    begin_body(m.type == tar_member::kind::regular ? stage::file_data : stage::skip_data, m.size,
               h);
}

void tar_reader::write(std::span<const std::byte> data, tar_handler& h) {
    while (!data.empty()) {
        switch (stage_) {
            case stage::header: {
                const auto n = std::min(block - hdr_fill_, data.size());
                std::memcpy(hdr_.data() + hdr_fill_, data.data(), n);
                hdr_fill_ += n;
                data = data.subspan(n);
                if (hdr_fill_ == block) {
                    hdr_fill_ = 0;
                    on_header(h);
                }
                break;
            }
            case stage::file_data:
            case stage::meta_data:
            case stage::skip_data: {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(body_left_, data.size()));
                if (stage_ == stage::file_data && n > 0) {
                    h.on_data(data.first(n));
                } else if (stage_ == stage::meta_data) {
                    meta_.append(reinterpret_cast<const char*>(data.data()), n);
                }
                body_left_ -= n;
                data = data.subspan(n);
                if (body_left_ == 0) {
                    end_body(h);
                }
                break;
            }
            case stage::padding: {
                const auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(pad_left_, data.size()));
                pad_left_ -= n;
                data = data.subspan(n);
                if (pad_left_ == 0) {
                    stage_ = stage::header;
                }
                break;
            }
            case stage::end:
                return;  // after the two zero blocks: record padding, hashed, not parsed
        }
    }
}

void tar_reader::finish() const {
    // A tar may end without its two zero blocks (Go's reader accepts that too), but not in the
    // middle of a header or an entry.
    if ((stage_ != stage::header && stage_ != stage::end) || hdr_fill_ != 0) {
        unsafe("layer is truncated: the tar ends inside " + quote(member_));
    }
    if (pax_path_ || pax_linkpath_ || long_name_ || long_link_) {
        unsafe("malformed tar: an extended header without a member at the end");
    }
}

}  // namespace oras::content::detail
