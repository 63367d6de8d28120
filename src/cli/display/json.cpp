// JSON output: descriptors as the ORAS CLI prints them, and its --pretty indentation.
#include "cli/display/json.hpp"

namespace oras::cli {

namespace json = boost::json;

namespace {

json::array strings_json(const std::vector<std::string>& list) {
    json::array out;
    for (const auto& s : list) {
        out.emplace_back(s);
    }
    return out;
}

}  // namespace

json::object descriptor_json(const descriptor& d) {
    // Every field, in the order of Go's ocispec.Descriptor, which oras marshals.
    json::object o;
    o["mediaType"] = d.media_type;
    o["digest"] = d.digest.str();
    o["size"] = d.size;
    if (!d.urls.empty()) {
        o["urls"] = strings_json(d.urls);
    }
    if (!d.annotations.empty()) {
        json::object a;
        for (const auto& [k, v] : d.annotations) {
            a[k] = v;
        }
        o["annotations"] = std::move(a);
    }
    if (d.data) {
        o["data"] = *d.data;
    }
    if (d.platform) {
        const auto& p = *d.platform;
        json::object po;
        po["architecture"] = p.architecture;
        po["os"] = p.os;
        if (!p.os_version.empty()) {
            po["os.version"] = p.os_version;
        }
        if (!p.os_features.empty()) {
            po["os.features"] = strings_json(p.os_features);
        }
        if (!p.variant.empty()) {
            po["variant"] = p.variant;
        }
        o["platform"] = std::move(po);
    }
    if (!d.artifact_type.empty()) {
        o["artifactType"] = d.artifact_type;
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

/// `text`, JSON, with `<`, `>`, `&`, U+2028 and U+2029 escaped as Go's encoder escapes them.
std::string go_escaped(std::string text) {
    // Outside strings JSON has none of these characters: each one found is inside a string.
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '<') {
            out += "\\u003c";
        } else if (c == '>') {
            out += "\\u003e";
        } else if (c == '&') {
            out += "\\u0026";
        } else if (c == '\xe2' && i + 2 < text.size() && text[i + 1] == '\x80'
                   && (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) {
            out += text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

}  // namespace

std::string compact(const json::value& v) {
    return go_escaped(json::serialize(v));
}

std::string pretty(const json::value& v) {
    std::ostringstream out;
    indent(out, v, 0);
    out << "\n";
    return go_escaped(out.str());
}

std::string indented(std::string_view bytes) {
    boost::system::error_code ec;
    (void)json::parse(bytes, ec);
    if (ec) {
        return std::string(bytes);
    }
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 2);
    std::size_t depth = 0;
    bool open = false;  // an object or array began and nothing is in it yet
    const auto newline = [&] {
        out += '\n';
        out.append(2 * depth, ' ');
    };
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        if (c == '}' || c == ']') {
            --depth;
            if (!open) {
                newline();
            }
            open = false;  // `{}` and `[]` stay on one line, as Go writes them
            out += c;
            continue;
        }
        if (open) {
            newline();
            open = false;
        }
        if (c == '"') {
            const auto start = i++;
            while (i < bytes.size() && bytes[i] != '"') {
                i += bytes[i] == '\\' ? 2 : 1;
            }
            out.append(bytes.substr(start, i - start + 1));
        } else if (c == '{' || c == '[') {
            out += c;
            ++depth;
            open = true;
        } else if (c == ',') {
            out += c;
            newline();
        } else if (c == ':') {
            out += ": ";
        } else {
            out += c;
        }
    }
    out += '\n';
    return out;
}

void print_descriptor(std::ostream& out, const descriptor& d, bool pretty_json) {
    const auto o = descriptor_json(d);
    // As oras's PrintJSON: compact JSON ends with its `}`, indented JSON with a newline.
    out << (pretty_json ? pretty(o) : compact(o));
}

}  // namespace oras::cli
