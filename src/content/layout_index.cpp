#include "content/layout_index.hpp"

#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/media_type.hpp>

#include "core/descriptor_json.hpp"
#include "core/json_writer.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

namespace oras::content::detail {

namespace json = boost::json;

namespace {

// The members of an index entry that `write_descriptor` owns; any other member is unknown.
constexpr std::array<std::string_view, 8> descriptor_members = {
    "mediaType", "digest", "size", "urls", "annotations", "data", "platform", "artifactType"};

std::string_view digest_of_entry(const json::value& entry) {
    const auto* obj = entry.if_object();
    const auto* d = obj ? obj->if_contains("digest") : nullptr;
    return d && d->is_string() ? std::string_view(d->get_string()) : std::string_view{};
}

bool is_descriptor_member(std::string_view key) {
    return std::find(descriptor_members.begin(), descriptor_members.end(), key)
           != descriptor_members.end();
}

}  // namespace

std::string_view ref_name_of(const json::value& entry) {
    const auto* obj = entry.if_object();
    const auto* annots = obj ? obj->if_contains("annotations") : nullptr;
    const auto* annots_obj = annots ? annots->if_object() : nullptr;
    const auto* name = annots_obj ? annots_obj->if_contains(annotation::ref_name) : nullptr;
    return name && name->is_string() ? std::string_view(name->get_string()) : std::string_view{};
}

std::string blob_member(const digest& d) {
    std::string out(blobs_name);
    out += '/';
    out += to_string(d.algorithm());
    out += '/';
    out += d.encoded();
    return out;
}

std::string empty_index() {
    image_index idx;
    idx.media_type = std::string(media_type::image_index);
    return idx.serialize();
}

void check_descriptor(const descriptor& desc) {
    if (desc.digest.empty()) {
        throw error(errc::invalid_argument, "descriptor has no digest");
    }
    if (desc.size < 0) {
        throw error(errc::invalid_argument, "descriptor of " + desc.digest.str()
                                                + " has negative size "
                                                + std::to_string(desc.size));
    }
}

json::object index_entry(const descriptor& desc) {
    oras::detail::json_writer w;
    oras::detail::write_descriptor(w, desc);
    return std::move(json::parse(w.take()).as_object());
}

bool list_untagged(json::array& manifests, const descriptor& desc) {
    for (const auto& e : manifests) {
        if (digest_of_entry(e) == desc.digest.str()) {
            return false;
        }
    }
    manifests.emplace_back(index_entry(desc));
    return true;
}

void put_tagged(json::array& arr, json::object entry, std::string_view tag, const digest& d) {
    std::optional<std::size_t> at;
    // Entries of other manifests the tag named, with their digests.
    std::vector<std::pair<std::string, json::object>> moved_off;
    for (std::size_t i = 0; i < arr.size();) {
        // An untagged entry of the same manifest (a referrer, listed to be found) is covered by
        // the tagged one.
        if (!tag.empty() && ref_name_of(arr[i]).empty() && digest_of_entry(arr[i]) == d.str()) {
            arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(i));
            continue;
        }
        if (ref_name_of(arr[i]) != tag) {
            ++i;
            continue;
        }
        const auto& old = arr[i].as_object();
        const std::string was(digest_of_entry(arr[i]));
        const bool same = was == d.str();
        if (!at) {
            at = i;
            if (same) {
                for (const auto& member : old) {
                    if (!is_descriptor_member(member.key())) {
                        entry.insert_or_assign(member.key(), member.value());
                    }
                }
            }
        }
        if (!same) {
            moved_off.emplace_back(was, old);
        }
        arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(i));
    }
    if (at) {
        arr.insert(arr.begin() + static_cast<std::ptrdiff_t>(*at), json::value(std::move(entry)));
    } else {
        arr.emplace_back(std::move(entry));
    }
    // A manifest the tag no longer names stays listed, untagged, as oras-go's layout keeps every
    // manifest it holds: unlisted, it would be unreachable, and a delete could take its blobs.
    for (auto& off : moved_off) {
        const auto& was = off.first;  // a name, not a binding: clang 14 captures no bindings
        auto& old = off.second;
        if (std::any_of(arr.begin(), arr.end(),
                        [&](const json::value& e) { return digest_of_entry(e) == was; })) {
            continue;
        }
        if (auto* a = old.if_contains("annotations"); a != nullptr && a->is_object()) {
            a->as_object().erase(annotation::ref_name);
            if (a->as_object().empty()) {
                old.erase("annotations");
            }
        }
        arr.emplace_back(std::move(old));
    }
}

bool remove_entries(json::array& manifests, const digest& d) {
    const auto before = manifests.size();
    const auto end = std::remove_if(manifests.begin(), manifests.end(), [&](const json::value& e) {
        return digest_of_entry(e) == d.str();
    });
    manifests.erase(end, manifests.end());
    return manifests.size() != before;
}

bool may_refer(const descriptor& desc) {
    return media_type::is_graph_manifest(desc.media_type)
           && desc.size <= static_cast<std::int64_t>(max_resolved_manifest);
}

}  // namespace oras::content::detail
