// References and digests: what parses prints back exactly as given, and parses again the same.
#include <oras/digest.hpp>
#include <oras/media_type.hpp>
#include <oras/reference.hpp>

#include "fuzz.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace oras;
    const auto input = fuzz::text(data, size);
    if (auto r = reference::parse(input)) {
        fuzz::require(r->str() == input, "reference::parse(x).str() == x");
        auto again = reference::parse(r->str());
        fuzz::require(again && again->str() == r->str(), "a parsed reference parses again");
        (void)r->endpoint();
        (void)r->host();
    }
    if (auto r = reference::parse_docker(input)) {
        auto again = reference::parse_docker(r->str());
        fuzz::require(again && again->str() == r->str(), "parse_docker(str()) is stable");
    }
    if (auto d = digest::parse(input)) {
        fuzz::require(d->str() == input, "digest::parse(x).str() == x");
    }
    (void)media_type::is_valid(input);
    (void)split_tags(input);
    return 0;
}
