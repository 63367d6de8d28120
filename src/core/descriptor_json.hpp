// Internal: descriptor and annotation members, read from untrusted JSON and written
// deterministically. Shared by image_manifest and image_index.
#pragma once

#include <oras/descriptor.hpp>

#include "core/json_reader.hpp"
#include "core/json_writer.hpp"
#include "core/quote.hpp"

#include <optional>
#include <string>
#include <vector>

namespace oras::detail {

result<descriptor> read_descriptor(const json_reader& rd, simdjson::dom::element e,
                                   std::string_view path);
result<annotations> read_annotations(const json_reader& rd, simdjson::dom::element e,
                                     std::string_view path);
/// A media type member: a string that satisfies `media_type::is_valid`.
result<std::string> read_media_type(const json_reader& rd, simdjson::dom::element e,
                                    std::string_view path);
/// `schemaVersion`, which must be the integer 2.
result<void> read_schema_version(const json_reader& rd, simdjson::dom::element e);

void write_descriptor(json_writer& w, const descriptor& d);
/// A platform object, members in image-spec's (and Go's `ocispec.Platform`) order:
/// architecture, os, os.version, os.features, variant, the optional ones only when set.
void write_platform(json_writer& w, const platform& p);
/// Writes the `annotations` member unless `a` is empty.
void write_annotations(json_writer& w, const annotations& a);

}  // namespace oras::detail

namespace oras::detail {

/// The members manifests and indexes share.
struct top_level_members {
    std::string media_type;
    std::string artifact_type;
    std::optional<descriptor> subject;
    annotations annots;
};

/// Parses the document and its shared members. `accepts(mediaType)` says whether a present
/// mediaType belongs to this kind of document; `schemaVersion`, when present, must be 2, and
/// when `needs_schema` must be present (the artifact manifest has none); every other member goes
/// to `member(key, value)`, which returns `result<void>`.
template <class Member>
result<top_level_members> read_top_level(json_document& doc, std::string_view json,
                                         const parse_options& opts, std::string_view what,
                                         bool (*accepts)(std::string_view), bool needs_schema,
                                         Member&& member) {
    const json_reader rd(errc::invalid_manifest);
    auto root = doc.parse(json, opts.max_size, what, errc::invalid_manifest);
    if (!root) {
        return root.error();
    }
    if (!root->is_object()) {
        return rd.fail(std::string(what) + " must be a JSON object");
    }
    auto obj = rd.object(*root, "");
    if (!obj) {
        return obj.error();
    }
    top_level_members out;
    bool has_schema = false;
    for (auto field : *obj) {
        if (field.key == "schemaVersion") {
            if (auto ok = read_schema_version(rd, field.value); !ok) {
                return ok.error();
            }
            has_schema = true;
        } else if (field.key == "mediaType") {
            auto s = read_media_type(rd, field.value, "mediaType");
            if (!s) {
                return s.error();
            }
            if (!accepts(*s)) {
                auto f = rd.fail(std::string(what) + " has mediaType " + quote(*s));
                f.code = make_error_code(errc::invalid_media_type);
                return f;
            }
            out.media_type = std::move(*s);
        } else if (field.key == "artifactType") {
            auto s = read_media_type(rd, field.value, "artifactType");
            if (!s) {
                return s.error();
            }
            out.artifact_type = std::move(*s);
        } else if (field.key == "subject") {
            auto d = read_descriptor(rd, field.value, "subject");
            if (!d) {
                return d.error();
            }
            out.subject = std::move(*d);
        } else if (field.key == "annotations") {
            auto a = read_annotations(rd, field.value, "annotations");
            if (!a) {
                return a.error();
            }
            out.annots = std::move(*a);
        } else if (auto ok = member(rd, field.key, field.value); !ok) {
            return ok.error();
        }
    }
    if (!has_schema && needs_schema) {
        return rd.missing("schemaVersion");
    }
    return out;
}

/// Reads an array of descriptors named `path`.
result<std::vector<descriptor>> read_descriptors(const json_reader& rd, simdjson::dom::element e,
                                                 std::string_view path);

}  // namespace oras::detail
