// JSON output: descriptors as the ORAS CLI prints them, and its --pretty indentation.
#include "cli/display/json.hpp"

namespace oras::cli {

namespace json = boost::json;

json::object descriptor_json(const descriptor& d) {
    json::object o;
    o["mediaType"] = d.media_type;
    o["digest"] = d.digest.str();
    o["size"] = d.size;
    if (!d.artifact_type.empty()) {
        o["artifactType"] = d.artifact_type;
    }
    if (!d.annotations.empty()) {
        json::object a;
        for (const auto& [k, v] : d.annotations) {
            a[k] = v;
        }
        o["annotations"] = std::move(a);
    }
    return o;
}

json::object reference_json(const std::string& reference, const descriptor& d) {
    json::object o;
    o["reference"] = reference;
    for (auto& [k, v] : descriptor_json(d)) {
        o[k] = v;
    }
    return o;
}

namespace {

void indent(std::ostream& out, const json::value& v, int depth) {
    const std::string pad(static_cast<std::size_t>(depth) * 2, ' ');
    const std::string inner(static_cast<std::size_t>(depth + 1) * 2, ' ');
    if (const auto* o = v.if_object()) {
        if (o->empty()) {
            out << "{}";
            return;
        }
        out << "{\n";
        bool first = true;
        for (const auto& [k, m] : *o) {
            out << (first ? "" : ",\n") << inner << json::serialize(json::value(k)) << ": ";
            indent(out, m, depth + 1);
            first = false;
        }
        out << "\n" << pad << "}";
    } else if (const auto* a = v.if_array()) {
        if (a->empty()) {
            out << "[]";
            return;
        }
        out << "[\n";
        bool first = true;
        for (const auto& m : *a) {
            out << (first ? "" : ",\n") << inner;
            indent(out, m, depth + 1);
            first = false;
        }
        out << "\n" << pad << "]";
    } else {
        out << json::serialize(v);
    }
}

}  // namespace

std::string pretty(const json::value& v) {
    std::ostringstream out;
    indent(out, v, 0);
    out << "\n";
    return out.str();
}

void print_descriptor(std::ostream& out, const descriptor& d, bool pretty_json) {
    const auto o = descriptor_json(d);
    out << (pretty_json ? pretty(o) : json::serialize(o) + "\n");
}

}  // namespace oras::cli
