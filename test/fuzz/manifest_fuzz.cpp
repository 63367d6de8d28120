// Manifests and indexes from a registry: whatever parses serialises to bytes that parse to the
// same value, and serialising is a fixed point. An artifact manifest (read only) is never also
// an image manifest or an index.
#include <oras/artifact_manifest.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace oras;
    const auto input = fuzz::text(data, size);
    if (auto m = image_manifest::parse(input)) {
        const auto bytes = m->serialize();
        auto again = image_manifest::parse(bytes);
        fuzz::require(again.has_value(), "a serialised manifest parses");
        fuzz::require(again->serialize() == bytes, "manifest serialisation is a fixed point");
        (void)m->successors();
    }
    if (auto i = image_index::parse(input)) {
        const auto bytes = i->serialize();
        auto again = image_index::parse(bytes);
        fuzz::require(again.has_value(), "a serialised index parses");
        fuzz::require(again->serialize() == bytes, "index serialisation is a fixed point");
    }
    if (auto a = artifact_manifest::parse(input)) {
        fuzz::require(!image_manifest::parse(input) && !image_index::parse(input),
                      "an artifact manifest is read as nothing else");
        fuzz::require(a->successors().size() == a->blobs.size() + (a->subject ? 1 : 0),
                      "an artifact manifest's successors are its subject and blobs");
    }
    return 0;
}
