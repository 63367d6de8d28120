// platform: `os/arch[/variant]`, and the manifest of an index built for one.
#include <oras/error.hpp>
#include <oras/http/fields.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/platform.hpp>

#include "core/quote.hpp"

#include <boost/json.hpp>

#include <sys/utsname.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace oras::ops {

namespace asio = boost::asio;
using oras::detail::quote;

namespace {

/// The platform a manifest was built for, from its config.
asio::awaitable<std::optional<platform>> manifest_platform(content::target& src, descriptor desc,
                                                           std::size_t limit) {
    const auto bytes = co_await content::fetch_all(src, desc, limit);
    auto manifest = image_manifest::parse(bytes);
    if (!manifest) {
        throw error(manifest.error().code,
                    "manifest " + desc.digest.str() + ": " + manifest.error().message);
    }
    const auto config = co_await content::fetch_all(src, manifest->config, limit);
    auto p = platform_of_config(config);
    if (!p || p->os.empty() || p->architecture.empty()) {
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
                    root.digest.str() + " is " + root.media_type
                        + ", which has no platform (neither an index nor an image manifest)");
    }
    const auto have = co_await manifest_platform(src, root, limit);
    if (!have || !platform_matches(*have, want)) {
        throw error(errc::not_found, "manifest " + root.digest.str() + " is for "
                                         + (have ? to_string(*have) : "no platform") + ", not "
                                         + to_string(want));
    }
    co_return root;
}

std::string host_architecture() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__arm__)
    return "arm";
#elif defined(__i386__)
    return "386";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "ppc64le";
#elif defined(__powerpc64__)
    return "ppc64";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__loongarch64)
    return "loong64";
#elif defined(__mips64) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "mips64le";
#elif defined(__mips64)
    return "mips64";
#else
    struct utsname u {};
    return ::uname(&u) == 0 ? std::string(u.machine) : std::string("unknown");
#endif
}

std::optional<platform> platform_of_config(std::string_view bytes) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(bytes, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        return std::nullopt;
    }
    // Go matches JSON keys without regard to case (ASCII ones here, as HTTP field names).
    const auto same = http::iequals;
    platform p;
    for (const auto& [key, value] : *o) {
        std::string* text = nullptr;
        if (same(key, "architecture")) {
            text = &p.architecture;
        } else if (same(key, "os")) {
            text = &p.os;
        } else if (same(key, "os.version")) {
            text = &p.os_version;
        } else if (same(key, "variant")) {
            text = &p.variant;
        } else if (same(key, "os.features")) {
            p.os_features.clear();
            if (value.is_null()) {
                continue;
            }
            const auto* arr = value.if_array();
            if (arr == nullptr) {
                return std::nullopt;
            }
            for (const auto& f : *arr) {
                if (!f.is_string()) {
                    return std::nullopt;
                }
                p.os_features.emplace_back(f.get_string());
            }
            continue;
        } else {
            continue;
        }
        if (value.is_null()) {
            continue;  // Go leaves the field as it was
        }
        if (!value.is_string()) {
            return std::nullopt;
        }
        *text = std::string(value.get_string());
    }
    if (p.architecture.empty() && p.os.empty()) {
        return std::nullopt;
    }
    return p;
}

result<platform> parse_platform(std::string_view text) {
    // As oras's option.Platform: OS[/Arch[/Variant]][:OSVersion], cut at the first `:`.
    platform p;
    const auto colon = text.find(':');
    const auto spec = text.substr(0, colon);
    if (colon != std::string_view::npos) {
        p.os_version = std::string(text.substr(colon + 1));
    }
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const auto slash = spec.find('/', start);
        parts.push_back(spec.substr(start, slash - start));
        if (slash == std::string_view::npos) {
            break;
        }
        start = slash + 1;
    }
    const auto bad = [&](const std::string& why) {
        return failure{make_error_code(errc::invalid_argument),
                       "platform " + quote(text) + ": " + why};
    };
    if (parts.size() > 3) {
        return bad("expected os[/arch[/variant]][:os_version]");
    }
    p.os = std::string(parts[0]);
    p.architecture = parts.size() >= 2 ? std::string(parts[1]) : host_architecture();
    if (parts.size() == 3) {
        p.variant = std::string(parts[2]);
    }
    if (p.os.empty()) {
        return bad("the OS cannot be empty");
    }
    if (p.architecture.empty()) {
        return bad("the architecture cannot be empty");
    }
    return p;
}

bool platform_matches(const platform& have, const platform& want) noexcept {
    if (have.os != want.os || have.architecture != want.architecture
        || (!want.os_version.empty() && have.os_version != want.os_version)
        || (!want.variant.empty() && have.variant != want.variant)) {
        return false;
    }
    return std::all_of(want.os_features.begin(), want.os_features.end(), [&](const auto& f) {
        return std::find(have.os_features.begin(), have.os_features.end(), f)
               != have.os_features.end();
    });
}

std::string to_string(const platform& p) {
    return p.os + "/" + p.architecture + (p.variant.empty() ? "" : "/" + p.variant)
           + (p.os_version.empty() ? "" : ":" + p.os_version);
}

}  // namespace oras::ops
