#include <oras/artifact_manifest.hpp>
#include <oras/media_type.hpp>

#include "core/descriptor_json.hpp"

namespace oras {
namespace {

bool accepts_artifact(std::string_view t) {
    return t == media_type::artifact_manifest;
}

}  // namespace

result<artifact_manifest> artifact_manifest::parse(std::string_view json,
                                                   const parse_options& opts) {
    detail::json_document doc;
    artifact_manifest m;
    auto top = detail::read_top_level(doc, json, opts, "artifact manifest", accepts_artifact, false,
                                      [&](const detail::json_reader& rd, std::string_view key,
                                          simdjson::dom::element value) -> result<void> {
                                          if (key == "blobs") {
                                              auto v = detail::read_descriptors(rd, value, "blobs");
                                              if (!v) {
                                                  return v.error();
                                              }
                                              m.blobs = std::move(*v);
                                          }
                                          return {};
                                      });
    if (!top) {
        return top.error();
    }
    if (top->media_type.empty()) {
        // Without it nothing tells this document from an image manifest missing its members.
        return detail::json_reader(errc::invalid_manifest).missing("mediaType");
    }
    m.media_type = std::move(top->media_type);
    m.artifact_type = std::move(top->artifact_type);
    m.subject = std::move(top->subject);
    m.annotations = std::move(top->annots);
    return m;
}

std::vector<descriptor> artifact_manifest::successors() const {
    std::vector<descriptor> out;
    out.reserve(blobs.size() + 1);
    if (subject) {
        out.push_back(*subject);
    }
    out.insert(out.end(), blobs.begin(), blobs.end());
    return out;
}

}  // namespace oras
