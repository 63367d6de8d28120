// tar and tar+gzip extraction, the one parser that writes to disk. Input whose first byte is even
// is a tar (gzipped here first, so that mutations reach the tar headers); odd, a tar.gz as a
// registry would serve it. Everything must land under the output directory: a canary beside it
// stays untouched, nothing else appears, and every symlink left points inside.
#include <oras/error.hpp>

#include "content/gzip.hpp"
#include "content/tar_extractor.hpp"
#include "fuzz.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// `target` of a symlink at `link` (relative to `root`) stays under `root`, lexically.
bool stays_inside(const fs::path& root, const fs::path& link, const fs::path& target) {
    if (target.is_absolute()) {
        return false;
    }
    const auto resolved = (link.parent_path() / target).lexically_normal();
    const auto rel = resolved.lexically_relative(root);
    return !rel.empty() && *rel.begin() != "..";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace oras;
    if (size == 0) {
        return 0;
    }
    char pattern[] = "/tmp/oras-fuzz-tar-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    fuzz::require(made != nullptr, "a temp directory can be made");
    const fs::path sandbox(made);
    const auto out = sandbox / "out";
    const auto canary = sandbox / "canary";
    std::ofstream(canary) << "canary";

    const auto payload = std::as_bytes(std::span(data + 1, size - 1));
    std::vector<std::byte> compressed;
    if (data[0] % 2 == 0) {
        content::detail::gzip_encoder gz(1);
        gz.write(payload, compressed);
        gz.finish(compressed);
    } else {
        compressed.assign(payload.begin(), payload.end());
    }
    content::detail::unpack_options opts;
    if (data[0] % 4 >= 2) {
        opts.required_prefix = "dir";
    }
    try {
        content::detail::tar_extractor x(out, opts);
        // Fed in two pieces, as a network delivers it.
        const auto half = compressed.size() / 2;
        x.write(std::span(compressed).first(half));
        x.write(std::span(compressed).subspan(half));
        x.finish();
    } catch (const oras::error&) {
        // Refusing is fine; what was written is checked below either way.
    }

    fuzz::require(read_all(canary) == "canary", "the canary beside the output is untouched");
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(sandbox, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto& p = it->path();
        if (p == canary || p == out) {
            continue;
        }
        const auto rel = p.lexically_relative(out);
        fuzz::require(!rel.empty() && *rel.begin() != "..", "everything lands under the output");
        if (it->is_symlink()) {
            fuzz::require(stays_inside(out, p, fs::read_symlink(p)),
                          "a symlink left behind points inside the output");
            it.disable_recursion_pending();
        }
    }
    fs::permissions(sandbox, fs::perms::owner_all, fs::perm_options::add, ec);
    for (auto it = fs::recursive_directory_iterator(sandbox, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_directory() && !it->is_symlink()) {
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
        }
    }
    fs::remove_all(sandbox, ec);
    return 0;
}
