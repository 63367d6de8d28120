#include <oras/image_index.hpp>
#include <oras/media_type.hpp>

#include "core/descriptor_json.hpp"

namespace oras {
namespace {

bool accepts_index(std::string_view t) {
    return !media_type::is_manifest(t) && t != media_type::artifact_manifest;
}

}  // namespace

result<image_index> image_index::parse(std::string_view json, const parse_options& opts) {
    detail::json_document doc;
    image_index idx;
    bool has_manifests = false;
    auto top = detail::read_top_level(
        doc, json, opts, "index", accepts_index, true,
        [&](const detail::json_reader& rd, std::string_view key,
            simdjson::dom::element value) -> result<void> {
            if (key == "manifests") {
                auto v = detail::read_descriptors(rd, value, "manifests");
                if (!v) {
                    return v.error();
                }
                idx.manifests = std::move(*v), has_manifests = true;
            } else if (key == "config" || key == "layers") {
                return rd.fail("index has a \"" + std::string(key) + "\" member: it is a manifest");
            }
            return {};
        });
    if (!top) {
        return top.error();
    }
    if (!has_manifests) {
        return detail::json_reader(errc::invalid_manifest).missing("manifests");
    }
    idx.media_type = std::move(top->media_type);
    idx.artifact_type = std::move(top->artifact_type);
    idx.subject = std::move(top->subject);
    idx.annotations = std::move(top->annots);
    return idx;
}

std::string image_index::serialize() const {
    detail::json_writer w;
    w.begin_object();
    w.key("schemaVersion");
    w.value(std::int64_t{schema_version});
    w.optional("mediaType", media_type);
    w.optional("artifactType", artifact_type);
    w.key("manifests");
    w.begin_array();
    for (const auto& m : manifests) {
        detail::write_descriptor(w, m);
    }
    w.end_array();
    if (subject) {
        w.key("subject");
        detail::write_descriptor(w, *subject);
    }
    detail::write_annotations(w, annotations);
    w.end_object();
    return w.take();
}

std::vector<descriptor> image_index::successors() const {
    std::vector<descriptor> out;
    out.reserve(manifests.size() + 1);
    if (subject) {
        out.push_back(*subject);
    }
    out.insert(out.end(), manifests.begin(), manifests.end());
    return out;
}

}  // namespace oras
