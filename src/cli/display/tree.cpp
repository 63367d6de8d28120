#include "cli/display/tree.hpp"

#include "cli/display/json.hpp"

#include <oras/diagnostics.hpp>

#include <map>
#include <vector>

namespace oras::cli {

namespace json = boost::json;

namespace {

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
            a.below.push_back({display(k, 200) + ": " + json::serialize(json::value(v))});
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
