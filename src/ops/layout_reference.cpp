// split_layout_reference (declared in ops/location.hpp): text only, kept apart from the targets
// location.cpp opens, so that the parsers that use it (mirror rules) link without the I/O.
#include <oras/ops/location.hpp>

namespace oras::ops {

layout_reference split_layout_reference(std::string_view text) {
    const auto slash = text.rfind('/');
    const auto after_slash = [&](std::size_t pos) {
        return pos != std::string_view::npos && (slash == std::string_view::npos || pos > slash);
    };
    if (const auto at = text.rfind('@'); after_slash(at)) {
        return {std::filesystem::path(text.substr(0, at)), std::string(text.substr(at + 1))};
    }
    if (const auto colon = text.rfind(':'); after_slash(colon)) {
        return {std::filesystem::path(text.substr(0, colon)), std::string(text.substr(colon + 1))};
    }
    return {std::filesystem::path(text), {}};
}

}  // namespace oras::ops
