#include "cli/display/tree.hpp"

#include "cli/display/json.hpp"

#include <oras/diagnostics.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <string_view>
#include <vector>

namespace oras::cli {

namespace json = boost::json;

namespace {

/// Digits of `s` from `at` in `base`; how many.
std::size_t digits(std::string_view s, std::size_t at, int base) {
    std::size_t n = 0;
    while (at + n < s.size()) {
        const auto c = static_cast<unsigned char>(s[at + n]);
        const int v = std::isdigit(c)    ? c - '0'
                      : std::isxdigit(c) ? std::tolower(c) - 'a' + 10
                                         : 99;
        if (v >= base) {
            break;
        }
        ++n;
    }
    return n;
}

/// Whether `in` reads as a number in go-yaml v3's resolver, which tries only text beginning
/// with a sign, a digit or a dot, underscores dropped: an integer Go's ParseInt or ParseUint
/// takes (base prefixes, 64 bits), a float ParseFloat takes in range, or a base-60 float.
bool reads_as_number(std::string_view in) {
    if (in.empty()
        || std::string_view("+-.0123456789").find(in.front()) == std::string_view::npos) {
        return false;
    }
    std::string s;
    for (const char c : in) {
        if (c != '_') {
            s += c;
        }
    }
    // Base 60 (`1:30`), tested on the text as given: digits, then `:` and one or two digits
    // (the first at most 5), any number of times, then an optional fraction.
    {
        std::size_t i = (in[0] == '+' || in[0] == '-') ? 1 : 0;
        const auto head = digits(in, i, 10);
        bool ok = head > 0 && in.find(':') != std::string_view::npos;
        i += head;
        while (ok && i < in.size() && in[i] == ':') {
            const auto n = digits(in, i + 1, 10);
            ok = (n == 1 || (n == 2 && in[i + 1] <= '5'));
            i += 1 + n;
        }
        if (ok && i < in.size() && in[i] == '.') {
            ++i;
            while (i < in.size()
                   && (std::isdigit(static_cast<unsigned char>(in[i])) || in[i] == '_')) {
                ++i;
            }
        }
        if (ok && i == in.size()) {
            return true;
        }
    }
    const std::size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
    // Integers: 0b, 0o, 0x, a leading 0 (octal) or decimal, within 64 bits.
    const auto body = std::string_view(s).substr(sign);
    int base = 10;
    std::size_t at = 0;
    if (body.size() > 2 && body[0] == '0'
        && std::string_view("bBoOxX").find(body[1]) != std::string_view::npos) {
        base = std::tolower(static_cast<unsigned char>(body[1])) == 'b'   ? 2
               : std::tolower(static_cast<unsigned char>(body[1])) == 'o' ? 8
                                                                          : 16;
        at = 2;
    } else if (body.size() > 1 && body[0] == '0') {
        base = 8;
    }
    if (!body.empty() && digits(body, at, base) == body.size() - at) {
        errno = 0;
        const auto v = std::strtoull(std::string(body.substr(at)).c_str(), nullptr, base);
        (void)v;
        if (errno != ERANGE) {
            return true;  // beyond 64 bits ParseInt fails, and so (no float syntax) does the rest
        }
    }
    // Floats, as go-yaml's pattern [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?, in range.
    std::size_t i = sign;
    const auto whole = digits(s, i, 10);
    i += whole;
    std::size_t fraction = 0;
    if (i < s.size() && s[i] == '.') {
        fraction = digits(s, i + 1, 10);
        i += 1 + fraction;
    }
    if (whole == 0 && fraction == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        std::size_t j = i + 1;
        if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
            ++j;
        }
        const auto exponent = digits(s, j, 10);
        if (exponent == 0) {
            return false;
        }
        i = j + exponent;
    }
    if (i != s.size()) {
        return false;
    }
    errno = 0;
    const double v = std::strtod(s.c_str(), nullptr);
    return !(errno == ERANGE && std::isinf(v));  // out of range: ParseFloat fails, a string
}

/// Whether `s` reads as a timestamp in go-yaml v3's resolver: Go's time.Parse of
/// 2006-1-2T15:4:5.999999999Z07:00 (or `t`), 2006-1-2 15:4:5.999999999 or 2006-1-2, which
/// also checks the ranges (no 13th month, no 30 February).
bool reads_as_timestamp(std::string_view s) {
    std::size_t i = 0;
    const auto number = [&](std::size_t min, std::size_t max, int& out) {
        const auto n = digits(s, i, 10);
        if (n < min || n > max) {
            return false;
        }
        out = std::stoi(std::string(s.substr(i, n)));
        i += n;
        return true;
    };
    const auto expect = [&](char c) { return i < s.size() && s[i++] == c; };
    int year = 0, month = 0, day = 0;
    if (!number(4, 4, year) || !expect('-') || !number(1, 2, month) || !expect('-')
        || !number(1, 2, day)) {
        return false;
    }
    static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month < 1 || month > 12 || day < 1 || day > days[month - 1]
        || (month == 2 && day == 29 && !leap)) {
        return false;
    }
    if (i == s.size()) {
        return true;
    }
    const char sep = s[i++];
    if (sep != 'T' && sep != 't' && sep != ' ') {
        return false;
    }
    int hour = 0, minute = 0, second = 0;
    if (!number(1, 2, hour) || !expect(':') || !number(1, 2, minute) || !expect(':')
        || !number(1, 2, second) || hour > 23 || minute > 59 || second > 59) {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits(s, i, 10) == 0) {
            return false;
        }
        i += digits(s, i, 10);
    }
    if (sep == ' ') {
        return i == s.size();
    }
    if (i < s.size() && s[i] == 'Z') {
        return i + 1 == s.size();
    }
    int zh = 0, zm = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
        return number(2, 2, zh) && expect(':') && number(2, 2, zm) && i == s.size();
    }
    return false;
}

/// `s` as go-yaml v3 marshals a string (what oras's tree shows of an annotation): plain when
/// it reads back as that string; double-quoted when plain it would read as null, a bool, a
/// number or a timestamp, or holds what only escapes can show; single-quoted when plain style
/// cannot hold it (an indicator first, `: ` or ` #` inside, spaces at an end).
std::string yaml_string(std::string_view s) {
    static const std::set<std::string_view> other_types = {
        "",      "~",     "null",  "Null",  "NULL",  "true",  "True", "TRUE", "false", "False",
        "FALSE", "y",     "Y",     "yes",   "Yes",   "YES",   "n",    "N",    "no",    "No",
        "NO",    "on",    "On",    "ON",    "off",   "Off",   "OFF",  ".inf", ".Inf",  ".INF",
        "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN"};
    const bool control = std::any_of(s.begin(), s.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    });
    if (control || other_types.contains(s) || reads_as_number(s) || reads_as_timestamp(s)) {
        return json::serialize(json::value(s));
    }
    // libyaml's analysis of a block scalar: these first, or `-`, `?`, `:` followed by a space
    // (or nothing), begin YAML syntax; so do `: ` and ` #` anywhere.
    const std::string_view always = ",[]{}#&*!|>'\"%@`";
    const bool indicator_first =
        always.find(s.front()) != std::string_view::npos
        || (std::string_view("-?:").find(s.front()) != std::string_view::npos
            && (s.size() == 1 || s[1] == ' '));
    // A document marker at the start (`---`, `...`) too.
    const bool marker = s.starts_with("---") || s.starts_with("...");
    const bool plain = !indicator_first && !marker && s.front() != ' ' && s.back() != ' '
                       && s.back() != ':' && s.find(": ") == std::string_view::npos
                       && s.find(" #") == std::string_view::npos;
    if (plain) {
        return std::string(s);
    }
    std::string out = "'";
    for (const char c : s) {
        out += c;
        if (c == '\'') {
            out += '\'';
        }
    }
    return out + "'";
}

/// A line of the tree: its text and the nodes below it.
struct line {
    std::string text;
    std::vector<line> below{};
};

line node_line(const ops::referrer_node& n, bool annotations, bool mark_depth_limit) {
    line l{n.desc.digest.str()};
    if (n.cycle) {
        l.text += " (cycle: already above)";
    }
    if (n.truncated && mark_depth_limit) {
        l.text += " (depth limit: referrers below not listed)";
    }
    if (annotations && !n.desc.annotations.empty()) {
        line a{"[annotations]"};
        for (const auto& [k, v] : n.desc.annotations) {
            // As oras writes each one: yaml.Marshal of {key: value}.
            // Registry data on a terminal: control characters and invalid UTF-8 shown as `?`,
            // a long value cut (as the key), where go-yaml would escape them.
            a.below.push_back(
                {yaml_string(display(k, 200)) + ": " + yaml_string(display(v, 4096))});
        }
        l.below.push_back(std::move(a));
    }
    // Grouped by artifact type, types in the order first seen.
    std::vector<line> groups;
    std::map<std::string, std::size_t> index;
    for (const auto& child : n.referrers) {
        const auto type = child.desc.artifact_type.empty() ? std::string("<unknown>")
                                                           : display(child.desc.artifact_type);
        auto [it, fresh] = index.try_emplace(type, groups.size());
        if (fresh) {
            groups.push_back({type});
        }
        groups[it->second].below.push_back(node_line(child, annotations, mark_depth_limit));
    }
    for (auto& g : groups) {
        l.below.push_back(std::move(g));
    }
    return l;
}

void draw(std::ostream& out, const std::vector<line>& lines, const std::string& prefix) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const bool last = i + 1 == lines.size();
        out << prefix << (last ? "└── " : "├── ") << lines[i].text << "\n";
        draw(out, lines[i].below, prefix + (last ? "    " : "│   "));
    }
}

json::object node_json(const std::string& repository, const ops::referrer_node& n) {
    auto o = reference_json(repository + "@" + n.desc.digest.str(), n.desc);
    json::array children;
    for (const auto& c : n.referrers) {
        children.push_back(node_json(repository, c));
    }
    o["referrers"] = std::move(children);
    return o;
}

}  // namespace

void print_tree(std::ostream& out, const std::string& repository, const ops::discover_result& r,
                bool annotations, bool mark_depth_limit) {
    ops::referrer_node root;
    root.desc = r.subject;
    root.desc.annotations.clear();
    root.referrers = r.referrers;
    auto top = node_line(root, annotations, mark_depth_limit);
    out << display(repository, 400) << "@" << r.subject.digest.str() << "\n";
    draw(out, top.below, "");
}

void print_table(std::ostream& out, const std::string& reference, const ops::discover_result& r,
                 bool verbose) {
    const auto n = r.referrers.size();
    out << "Discovered " << n << (n == 1 ? " artifact" : " artifacts") << " referencing "
        << display(reference, 400) << "\n"
        << "Digest: " << r.subject.digest.str() << "\n";
    if (n == 0) {
        return;
    }
    std::size_t width = std::string("Artifact Type").size();
    for (const auto& c : r.referrers) {
        width = std::max(width, display(c.desc.artifact_type).size());
    }
    const auto pad = [&](std::string s) {
        s.resize(width + 3, ' ');
        return s;
    };
    out << "\n" << pad("Artifact Type") << "Digest\n";
    for (const auto& c : r.referrers) {
        out << pad(display(c.desc.artifact_type)) << c.desc.digest.str() << "\n";
        if (verbose) {
            // The descriptor as oras v1.3 prints it under its row (Go's field order).
            json::object d;
            d["mediaType"] = c.desc.media_type;
            d["digest"] = c.desc.digest.str();
            d["size"] = c.desc.size;
            if (!c.desc.annotations.empty()) {
                json::object a;
                for (const auto& [k, v] : c.desc.annotations) {
                    a[k] = v;
                }
                d["annotations"] = std::move(a);
            }
            if (!c.desc.artifact_type.empty()) {
                d["artifactType"] = c.desc.artifact_type;
            }
            out << pretty(d);
        }
    }
}

void print_discover_json(std::ostream& out, const std::string& repository,
                         const ops::discover_result& r) {
    ops::referrer_node root;
    root.desc = r.subject;
    root.referrers = r.referrers;
    out << pretty(node_json(repository, root));
}

}  // namespace oras::cli
