#include "cli/display/tree.hpp"

#include "cli/display/json.hpp"

#include <oras/diagnostics.hpp>

#include <algorithm>
#include <map>
#include <regex>
#include <set>
#include <string_view>
#include <vector>

namespace oras::cli {

namespace json = boost::json;

namespace {

/// Whether `s` (underscores dropped, as go-yaml drops them) reads as a YAML 1.1 number in
/// go-yaml v3's resolver: an integer in Go's base prefixes, a float, or a base-60 float.
bool reads_as_number(std::string_view in) {
    std::string s;
    for (const char c : in) {
        if (c != '_') {
            s += c;
        }
    }
    static const std::regex integer("[-+]?(0[bB][01]+|0[oO]?[0-7]+|0[xX][0-9a-fA-F]+|[0-9]+)");
    static const std::regex floating(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?)");
    static const std::regex base60(R"([-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)");
    return std::regex_match(s, integer) || std::regex_match(s, floating)
           || std::regex_match(std::string(in), base60);
}

/// Whether `s` reads as a timestamp in go-yaml v3's resolver (a date, or a date and time).
bool reads_as_timestamp(std::string_view s) {
    // Go's layouts 2006-1-2T15:4:5.999999999Z07:00 (or t), 2006-1-2 15:4:5.999999999, 2006-1-2.
    static const std::regex stamp(
        R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})"
        R"(([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?(Z|[-+][0-9]{2}:[0-9]{2}))"
        R"(| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]+)?)?)");
    return std::regex_match(std::string(s), stamp);
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
        "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",  "<<"};
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
    const bool plain = !indicator_first && s.front() != ' ' && s.back() != ' ' && s.back() != ':'
                       && s.find(": ") == std::string_view::npos
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
            a.below.push_back({yaml_string(display(k, 200)) + ": " + yaml_string(v)});
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
