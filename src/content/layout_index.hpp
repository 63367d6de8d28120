// Internal: the names and the index.json edits of an OCI image layout, as pure functions over
// the parsed document, shared by the directory layout (oci_layout) and the archive written in
// one pass (layout_tar_writer), so that both list tags and referrers by one set of rules.
#pragma once

#include <oras/descriptor.hpp>
#include <oras/digest.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace oras::content::detail {

inline constexpr std::string_view layout_name = "oci-layout";
inline constexpr std::string_view index_name = "index.json";
inline constexpr std::string_view blobs_name = "blobs";
/// What `oci-layout` holds.
inline constexpr std::string_view layout_json = R"({"imageLayoutVersion":"1.0.0"})";
/// A digest resolved from a blob (not from index.json), or a manifest looked at to see whether it
/// is a referrer, is read whole: up to this size.
inline constexpr std::size_t max_resolved_manifest = 4 * 1024 * 1024;

/// Where the blob of `d` is, relative to the layout's root: `blobs/<algorithm>/<encoded>`.
std::string blob_member(const digest& d);

/// An image index with no manifests: a new layout's index.json.
std::string empty_index();

/// Throws `invalid_argument` for a descriptor with no digest or a negative size.
void check_descriptor(const descriptor& desc);

/// The tag (`org.opencontainers.image.ref.name`) of the index.json entry `entry`; empty when it
/// has none.
std::string_view ref_name_of(const boost::json::value& entry);

/// `desc` as an entry of index.json's `manifests`.
boost::json::object index_entry(const descriptor& desc);

/// Lists the manifest `desc` in `manifests` without a tag, unless it is listed already (how a
/// referrer stays findable in a layout, as the ORAS CLI's layouts list every manifest they
/// hold). Whether `manifests` changed.
bool list_untagged(boost::json::array& manifests, const descriptor& desc);

/// Makes `tag` name `entry` (of digest `d`) in `manifests`: a replaced entry keeps its position,
/// and the members this library does not know when it named the same digest; an untagged entry
/// of the same manifest is dropped (the tagged one covers it).
void put_tagged(boost::json::array& manifests, boost::json::object entry, std::string_view tag,
                const digest& d);

/// Drops every entry of digest `d`; whether there was one.
bool remove_entries(boost::json::array& manifests, const digest& d);

/// A manifest or index small enough to be read whole: what can be a referrer.
bool may_refer(const descriptor& desc);

}  // namespace oras::content::detail
