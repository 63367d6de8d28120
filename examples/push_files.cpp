// Pushes files as the layers of an artifact, each with its own media type, through the library's
// coroutine API: one io_context, a remote repository seen as a content target, `ops::push`.
// Prints each layer and the manifest digest.
//
//   oras_example_push_files REGISTRY/REPOSITORY[:TAG] FILE[:TYPE]...
//
// TYPE is what follows the file's last colon when it contains a '/' (text/plain); files without
// one get `application/vnd.oci.image.layer.v1.tar`. Files under the current directory are titled
// by their path relative to it, others by their file name. Credentials come from ORAS_USER /
// ORAS_PASS or Docker's config.json; loopback registries are reached over plain http.
#include <oras/auth/client.hpp>
#include <oras/auth/credential_store.hpp>
#include <oras/error.hpp>
#include <oras/http/client.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/push.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <exception>
#include <iostream>
#include <string>
#include <utility>

namespace asio = boost::asio;

namespace {

oras::ops::push_file parse_file_arg(const std::string& arg) {
    oras::ops::push_file f;
    const auto colon = arg.rfind(':');
    // A colon followed by something with a '/' is a media type; any other colon belongs to the
    // file name.
    if (colon != std::string::npos && arg.find('/', colon) != std::string::npos) {
        f.path = arg.substr(0, colon);
        f.media_type = arg.substr(colon + 1);
    } else {
        f.path = arg;
    }
    return f;
}

/// Everything the push needs, alive until io.run() returns. The coroutine takes the target by
/// pointer: GCC 12 coroutines must not hold references to the caller's objects.
asio::awaitable<oras::ops::push_result> push_artifact(oras::registry::repository_target* target,
                                                      oras::ops::push_options options) {
    co_return co_await oras::ops::push(*target, std::move(options));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::cerr << "usage: " << argv[0] << " REGISTRY/REPOSITORY[:TAG] FILE[:TYPE]...\n";
        return 2;
    }
    auto ref = oras::reference::parse(argv[1]);
    if (!ref) {
        std::cerr << "error: " << ref.error().message << "\n";
        return 2;
    }
    if (ref->has_digest()) {
        std::cerr << "error: push to a tag or to the bare repository, not to a digest\n";
        return 2;
    }

    oras::ops::push_options options;
    for (int i = 2; i < argc; ++i) {
        options.files.push_back(parse_file_arg(argv[i]));
    }
    if (ref->has_tag()) {
        options.tags.push_back(ref->tag());
    }
    options.artifact_type = "application/vnd.example.files";
    // Files outside the current directory are pushed under their file names.
    options.disable_path_validation = true;

    try {
        asio::io_context io;
        oras::http::client http(io.get_executor());
        oras::auth::client auth(
            http,
            {.credentials = oras::auth::default_credentials({.registries = {ref->registry()}})});
        oras::registry::repository repo(auth, ref->registry(), ref->repository());
        oras::registry::repository_target target(repo);

        auto pushed =
            asio::co_spawn(io, push_artifact(&target, std::move(options)), asio::use_future);
        io.run();
        const auto result = pushed.get();

        for (const auto& layer : result.layers) {
            std::cout << "layer:    " << layer.digest.str() << " " << layer.size << " bytes "
                      << layer.media_type << " " << layer.annotation(oras::annotation::title)
                      << "\n";
        }
        std::cout << "uploaded: " << result.blobs_uploaded << " blobs\n"
                  << "pushed:   " << ref->registry() << "/" << ref->repository()
                  << (ref->has_tag() ? ":" + ref->tag() : std::string()) << "\n"
                  << "digest:   " << result.manifest.digest.str() << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
