// platform: `os/arch[/variant]`, and the manifest of an index built for one.
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/platform.hpp>

#include "core/quote.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <vector>

namespace oras::ops {

namespace asio = boost::asio;
using oras::detail::quote;

namespace {

/// The platform a manifest was built for, from its config (`os`, `architecture`, `variant`).
asio::awaitable<std::optional<platform>> manifest_platform(content::target& src,
                                                           const descriptor& desc,
                                                           std::size_t limit) {
    const auto bytes = co_await content::fetch_all(src, desc, limit);
    auto manifest = image_manifest::parse(bytes);
    if (!manifest) {
        throw error(manifest.error().code,
                    "manifest " + desc.digest.str() + ": " + manifest.error().message);
    }
    const auto config = co_await content::fetch_all(src, manifest->config, limit);
    boost::system::error_code ec;
    const auto v = boost::json::parse(config, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        co_return std::nullopt;
    }
    const auto member = [o](std::string_view k) -> std::string {
        const auto* m = o->if_contains(k);
        return m != nullptr && m->is_string() ? std::string(m->get_string()) : std::string();
    };
    platform p;
    p.os = member("os");
    p.architecture = member("architecture");
    p.variant = member("variant");
    if (p.os.empty() || p.architecture.empty()) {
        co_return std::nullopt;
    }
    co_return p;
}

}  // namespace

asio::awaitable<descriptor> select_platform(content::target& src, descriptor root, platform want,
                                            std::size_t limit) {
    if (media_type::is_index(root.media_type)) {
        const auto bytes = co_await content::fetch_all(src, root, limit);
        auto index = image_index::parse(bytes);
        if (!index) {
            throw error(index.error().code,
                        "index " + root.digest.str() + ": " + index.error().message);
        }
        for (auto& m : index->manifests) {
            if (m.platform && platform_matches(*m.platform, want)) {
                co_return m;
            }
        }
        throw error(errc::not_found,
                    "index " + root.digest.str() + " has no manifest for " + to_string(want));
    }
    if (!media_type::is_manifest(root.media_type)) {
        throw error(errc::invalid_media_type,
                    root.digest.str() + " is " + root.media_type + ", not an index or manifest");
    }
    const auto have = co_await manifest_platform(src, root, limit);
    if (!have || !platform_matches(*have, want)) {
        throw error(errc::not_found, "manifest " + root.digest.str() + " is for "
                                         + (have ? to_string(*have) : "no platform") + ", not "
                                         + to_string(want));
    }
    co_return root;
}

result<platform> parse_platform(std::string_view text) {
    platform p;
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto slash = text.find('/', start);
        parts.push_back(text.substr(start, slash - start));
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    const bool ok =
        (parts.size() == 2 || parts.size() == 3)
        && std::none_of(parts.begin(), parts.end(), [](std::string_view s) { return s.empty(); });
    if (!ok) {
        return failure{make_error_code(errc::invalid_argument),
                       "platform " + quote(text) + " is not os/arch[/variant]"};
    }
    p.os = std::string(parts[0]);
    p.architecture = std::string(parts[1]);
    if (parts.size() == 3) {
        p.variant = std::string(parts[2]);
    }
    return p;
}

bool platform_matches(const platform& have, const platform& want) noexcept {
    return have.os == want.os && have.architecture == want.architecture
           && (want.variant.empty() || have.variant == want.variant);
}

std::string to_string(const platform& p) {
    return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant);
}

}  // namespace oras::ops
