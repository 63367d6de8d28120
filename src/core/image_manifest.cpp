#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>

#include "core/descriptor_json.hpp"

namespace oras {
namespace {

// A manifest parser also accepts an artifact of the right shape whose mediaType is absent, as
// image-spec 1.0 allowed; an index's or an artifact manifest's mediaType is refused rather than
// misread (the same bytes would otherwise be config and layers here, blobs there).
bool accepts_manifest(std::string_view t) {
    return !media_type::is_index(t) && t != media_type::artifact_manifest;
}

}  // namespace

result<image_manifest> image_manifest::parse(std::string_view json, const parse_options& opts) {
    detail::json_document doc;
    image_manifest m;
    bool has_config = false;
    bool has_layers = false;
    auto top = detail::read_top_level(
        doc, json, opts, "manifest", accepts_manifest, true,
        [&](const detail::json_reader& rd, std::string_view key,
            simdjson::dom::element value) -> result<void> {
            if (key == "config") {
                auto d = detail::read_descriptor(rd, value, "config");
                if (!d) {
                    return d.error();
                }
                m.config = std::move(*d), has_config = true;
            } else if (key == "layers") {
                auto v = detail::read_descriptors(rd, value, "layers");
                if (!v) {
                    return v.error();
                }
                m.layers = std::move(*v), has_layers = true;
            } else if (key == "manifests") {
                return rd.fail("manifest has a \"manifests\" member: it is an index");
            }
            return {};
        });
    if (!top) {
        return top.error();
    }
    const detail::json_reader rd(errc::invalid_manifest);
    if (!has_config) {
        return rd.missing("config");
    }
    if (!has_layers) {
        return rd.missing("layers");
    }
    m.media_type = std::move(top->media_type);
    m.artifact_type = std::move(top->artifact_type);
    m.subject = std::move(top->subject);
    m.annotations = std::move(top->annots);
    return m;
}

std::string image_manifest::serialize() const {
    detail::json_writer w;
    w.begin_object();
    w.key("schemaVersion");
    w.value(std::int64_t{schema_version});
    w.optional("mediaType", media_type);
    w.optional("artifactType", artifact_type);
    w.key("config");
    detail::write_descriptor(w, config);
    w.key("layers");
    w.begin_array();
    for (const auto& l : layers) {
        detail::write_descriptor(w, l);
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

std::vector<descriptor> image_manifest::successors() const {
    std::vector<descriptor> out;
    out.reserve(layers.size() + 2);
    if (subject) {
        out.push_back(*subject);
    }
    out.push_back(config);
    out.insert(out.end(), layers.begin(), layers.end());
    return out;
}

}  // namespace oras
