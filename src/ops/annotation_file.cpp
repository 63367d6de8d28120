// parse_annotation_file (declared in ops/push.hpp): JSON text only, kept apart from the push so
// that it is fuzzed without the I/O.
#include <oras/ops/push.hpp>
#include <oras/result.hpp>

#include "core/json_reader.hpp"

namespace oras::ops {

result<annotation_map> parse_annotation_file(std::string_view json, std::string_view origin) {
    const std::string where(origin);
    oras::detail::json_document doc;
    const oras::detail::json_reader rd(errc::invalid_argument);
    auto root = doc.parse(json, 16 * 1024 * 1024, where, errc::invalid_argument);
    if (!root) {
        return root.error();
    }
    // `null`, at the top or for a key, is no annotations, as Go decodes it into a nil map.
    if (root->is_null()) {
        return annotation_map{};
    }
    auto top = rd.object(*root, "");
    if (!top) {
        return make_failure(errc::invalid_argument, where + ": " + top.error().message);
    }
    if (auto unique = rd.unique_keys(*top, ""); !unique) {
        return make_failure(errc::invalid_argument, where + ": " + unique.error().message);
    }
    annotation_map out;
    for (auto entry : *top) {
        const std::string key(entry.key);
        if (entry.value.is_null()) {
            continue;
        }
        auto inner = rd.object(entry.value, key);
        if (!inner) {
            return make_failure(errc::invalid_argument, where + ": " + inner.error().message);
        }
        auto& into = out[key];
        for (auto kv : *inner) {
            auto value = rd.string(kv.value, key + "." + std::string(kv.key));
            if (!value) {
                return make_failure(errc::invalid_argument, where + ": " + value.error().message);
            }
            into[std::string(kv.key)] = std::move(*value);
        }
    }
    return out;
}

}  // namespace oras::ops
