// Parses a reference, then describes files as the layers of an artifact manifest for it:
// the manifest an `oras push REF FILE...` would write, without the network.
//
//   oras_example_inspect REFERENCE [FILE...]
#include <oras/error.hpp>
#include <oras/hasher.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <vector>

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: " << argv[0] << " REFERENCE [FILE...]\n";
        return 2;
    }
    auto ref = oras::reference::parse(argv[1]);
    if (!ref) {
        std::cerr << "error: " << ref.error().message << "\n";
        return 1;
    }
    std::cout << "registry:   " << ref->registry() << " (connect to " << ref->endpoint() << ")\n"
              << "repository: " << ref->repository() << "\n"
              << "tag:        " << (ref->has_tag() ? ref->tag() : "-") << "\n";

    oras::image_manifest m;
    m.media_type = oras::media_type::image_manifest;
    m.artifact_type = "application/vnd.example.files";
    m.config = oras::empty_json_descriptor();
    try {
        for (int i = 2; i < argc; ++i) {
            const std::filesystem::path path = argv[i];
            std::ifstream in(path, std::ios::binary);
            if (!in) {
                throw std::runtime_error("cannot open " + path.string());
            }
            // Stream the file through the hasher: memory does not grow with its size.
            oras::hasher h;
            std::vector<char> buf(1 << 16);
            while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount()) {
                h.update(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
            }
            oras::descriptor d;
            d.media_type = oras::media_type::image_layer;
            d.size = static_cast<std::int64_t>(h.bytes());
            d.digest = h.finish();
            d.annotations.emplace(oras::annotation::title, path.filename().string());
            m.layers.push_back(std::move(d));
        }
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    const auto json = m.serialize();
    // What we write must read back as the same manifest.
    if (oras::image_manifest::parse(json).value() != m) {
        std::cerr << "error: manifest did not round-trip\n";
        return 1;
    }
    std::cout << "manifest:   " << oras::digest::of(json) << " (" << json.size() << " bytes)\n"
              << json << "\n";
    return 0;
}
