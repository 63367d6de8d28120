// Pushes a file to the registry named by ORAS_TEST_REGISTRY_HOST, pulls it back and compares:
// what a program linking an installed oras (CMake package or pkg-config) must be able to do.
#include <oras/ops/blocking.hpp>
#include <oras/version.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace fs = std::filesystem;

int main() {
    const char* host = std::getenv("ORAS_TEST_REGISTRY_HOST");
    if (host == nullptr) {
        std::cerr << "ORAS_TEST_REGISTRY_HOST is not set\n";
        return 2;
    }
    try {
        const auto work =
            fs::temp_directory_path() / ("oras-consumer-" + std::to_string(::getpid()));
        fs::create_directories(work / "in");
        const std::string content = "pushed by a consumer of oras " ORAS_VERSION_STRING "\n";
        std::ofstream(work / "in" / "hello.txt") << content;

        oras::ops::push_options push;
        push.working_dir = work / "in";
        push.files.push_back({work / "in" / "hello.txt", "text/plain"});
        push.tags = {"v1"};
        const std::string ref = std::string(host) + "/consumer/hello";
        const auto pushed = oras::blocking::push(ref, push);

        oras::ops::pull_options pull;
        pull.output = work / "out";
        const auto pulled = oras::blocking::pull(ref + ":v1", pull);
        std::ifstream in(work / "out" / "hello.txt");
        std::stringstream back;
        back << in.rdbuf();
        fs::remove_all(work);
        if (back.str() != content || pulled.manifest.digest != pushed.manifest.digest) {
            std::cerr << "pulled content differs\n";
            return 1;
        }
        std::cout << "pushed and pulled " << pushed.manifest.digest.str() << "\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "oras_consumer: " << e.what() << "\n";
        return 1;
    }
}
