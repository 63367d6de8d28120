#include "core/json_reader.hpp"

#include <boost/json/stream_parser.hpp>

#include <algorithm>
#include <vector>

namespace oras::detail {

namespace {

/// Where in `text` the JSON goes wrong, as `line L, column C` (counting from 1, columns in
/// bytes); empty when that cannot be told. simdjson says what is wrong but not where, and a
/// person fixing a hand-written file (config.json, an annotation file) needs the place.
std::string error_position(std::string_view text, std::size_t max_depth) {
    boost::json::parse_options o;
    // Boost.JSON recurses per level: at simdjson's own limit it stops where simdjson did,
    // never deeper (a hostile document of nested brackets must not exhaust the stack).
    o.max_depth = max_depth;
    boost::json::stream_parser p({}, o);
    boost::system::error_code ec;
    auto at = p.write_some(text.data(), text.size(), ec);
    if (!ec && at < text.size()) {
        // A whole document, then more: the error is where the more begins.
        at = std::min(text.find_first_not_of(" \t\r\n", at), text.size());
        ec = boost::json::error::extra_data;
    } else if (!ec) {
        p.finish(ec);
        at = text.size();
    }
    if (!ec) {
        return {};
    }
    const auto before = text.substr(0, std::min(at, text.size()));
    const auto line = 1 + std::count(before.begin(), before.end(), '\n');
    const auto line_start = before.rfind('\n');
    const auto column = at - (line_start == std::string_view::npos ? 0 : line_start + 1) + 1;
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

}  // namespace

result<simdjson::dom::element> json_document::parse(std::string_view text, std::size_t max_size,
                                                    std::string_view what, errc code) {
    if (text.size() > max_size) {
        return make_failure(errc::size_exceeds_limit,
                            std::string(what) + " of " + std::to_string(text.size())
                                + " bytes exceeds the limit of " + std::to_string(max_size));
    }
    text_ = simdjson::padded_string(text);
    simdjson::dom::element root;
    if (auto err = parser_.parse(text_).get(root); err) {
        const auto where = error_position(text, parser_.max_depth());
        return make_failure(code, std::string(what) + " is not valid JSON"
                                      + (where.empty() ? "" : " (" + where + ")") + ": "
                                      + simdjson::error_message(err));
    }
    return root;
}

failure json_reader::missing(std::string_view path) const {
    return fail("missing required member \"" + std::string(path) + "\"");
}

result<simdjson::dom::object> json_reader::object(simdjson::dom::element e,
                                                  std::string_view path) const {
    simdjson::dom::object o;
    if (e.get_object().get(o)) {
        return fail("\"" + std::string(path) + "\" must be an object");
    }
    if (auto r = unique_keys(o, path); !r) {
        return r.error();
    }
    return o;
}

result<simdjson::dom::array> json_reader::array(simdjson::dom::element e,
                                                std::string_view path) const {
    simdjson::dom::array a;
    if (e.get_array().get(a)) {
        return fail("\"" + std::string(path) + "\" must be an array");
    }
    return a;
}

result<std::string> json_reader::string(simdjson::dom::element e, std::string_view path) const {
    std::string_view s;
    if (e.get_string().get(s)) {
        return fail("\"" + std::string(path) + "\" must be a string");
    }
    return std::string(s);
}

result<std::int64_t> json_reader::integer(simdjson::dom::element e, std::string_view path) const {
    std::int64_t v = 0;
    if (e.get_int64().get(v)) {
        return fail("\"" + std::string(path) + "\" must be an integer");
    }
    return v;
}

result<bool> json_reader::boolean(simdjson::dom::element e, std::string_view path) const {
    bool v = false;
    if (e.get_bool().get(v)) {
        return fail("\"" + std::string(path) + "\" must be true or false");
    }
    return v;
}

result<void> json_reader::unique_keys(simdjson::dom::object o, std::string_view path) const {
    std::vector<std::string_view> keys;
    keys.reserve(o.size());
    for (auto field : o) {
        keys.push_back(field.key);
    }
    std::sort(keys.begin(), keys.end());
    if (auto it = std::adjacent_find(keys.begin(), keys.end()); it != keys.end()) {
        return fail("duplicate member \"" + member_path(path, *it) + "\"");
    }
    return {};
}

std::string member_path(std::string_view parent, std::string_view member) {
    if (parent.empty()) {
        return std::string(member);
    }
    std::string p(parent);
    p += '.';
    p += member;
    return p;
}

std::string element_path(std::string_view parent, std::size_t i) {
    return std::string(parent) + "[" + std::to_string(i) + "]";
}

}  // namespace oras::detail
