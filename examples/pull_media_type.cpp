// Pulls only the layers of one media type of an artifact into a directory, with the blocking
// facade (no io_context in sight). Prints what was written and how many layers were left out.
//
//   oras_example_pull_media_type REGISTRY/REPOSITORY:TAG|@DIGEST MEDIA_TYPE OUTDIR
//
// Credentials come from ORAS_USER / ORAS_PASS or Docker's config.json; loopback registries are
// reached over plain http. Exits 1 when no layer has the media type.
#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: " << argv[0] << " REGISTRY/REPOSITORY:TAG|@DIGEST MEDIA_TYPE OUTDIR\n";
        return 2;
    }
    const std::string media_type = argv[2];
    oras::ops::pull_options options;
    options.output = argv[3];
    options.media_types = {media_type};
    try {
        const auto result = oras::blocking::pull(argv[1], std::move(options));
        for (const auto& f : result.files) {
            std::cout << "pulled:  " << f.path.string() << " (" << f.desc.size << " bytes, "
                      << f.desc.media_type << ")\n";
        }
        std::cout << "skipped: " << result.skipped << " layers\n"
                  << "digest:  " << result.manifest.digest.str() << "\n";
        if (result.files.empty()) {
            std::cerr << "error: " << argv[1] << " has no titled layer of type " << media_type
                      << "\n";
            return 1;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
