// The YAML mirror configuration (`oras-cpp mirror --config`): refused or accepted, never a crash,
// and a refusal names the file.
#include "cli/mirror_config.hpp"
#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto input = oras::fuzz::text(data, size);
    const oras::cli::getenv_fn env = [](const std::string& name) -> std::optional<std::string> {
        if (name == "MIRROR_PASSWORD") {
            return std::string("hunter2");
        }
        return std::nullopt;
    };
    if (auto c = oras::cli::parse_mirror_config(input, "mirror.yaml", env); !c) {
        oras::fuzz::require(c.error().message.starts_with("mirror.yaml"),
                            "a refused config names the file");
        // Only the environment holds the password; text in the file may be quoted.
        oras::fuzz::require(input.find("hunter2") != std::string_view::npos
                                || c.error().message.find("hunter2") == std::string::npos,
                            "a refused config never quotes a password");
    }
    return 0;
}
