// location: the parsing of CLI-style references into targets, in one place.
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/location.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository_target.hpp>

#include "core/quote.hpp"

#include <optional>

namespace oras::ops {

namespace {

using oras::detail::quote;

std::vector<std::string> tag_list(std::string_view list) {
    auto tags = parse_tag_list(list);
    if (!tags) {
        throw error(tags.error());
    }
    return std::move(*tags);
}

opened_target open_layout(const location& where, open_mode mode) {
    auto [dir, ref] = split_layout_reference(where.text);
    if (dir.empty()) {
        throw error(errc::invalid_argument, "name the OCI layout directory");
    }
    opened_target out;
    out.display = "[oci-layout] " + where.text;
    out.layout_dir = dir;
    if (!ref.empty()) {
        if (ref.find(':') != std::string::npos) {
            auto d = digest::parse(ref);
            if (!d) {
                throw error(d.error());
            }
            out.reference = ref;
        } else {
            out.tags = tag_list(ref);
            out.reference = out.tags.front();
        }
    }
    std::error_code ec;
    if (mode == open_mode::read) {
        if (!std::filesystem::is_directory(dir, ec)) {
            throw error(errc::not_found, "no OCI layout at " + quote(dir.string()));
        }
        out.target = std::make_unique<content::oci_layout>(
            dir, content::oci_layout_options{.create = false, .read_only = true});
    } else {
        out.created = !std::filesystem::exists(dir, ec);
        out.target = std::make_unique<content::oci_layout>(dir);
    }
    return out;
}

template <class Connect>
opened_target open_remote(const location& where, Connect connect) {
    auto split = split_tags(where.text);
    if (!split) {
        throw error(split.error());
    }
    auto ref = reference::parse(split->reference);
    if (!ref) {
        throw error(ref.error());
    }
    opened_target out;
    out.display = "[registry] " + where.text;
    out.tags = std::move(split->tags);
    out.reference = ref->manifest_reference();
    out.target = std::make_unique<registry::repository_target>(connect(*ref));
    return out;
}

}  // namespace

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

registry::repository* opened_target::repository() const noexcept {
    auto* t = dynamic_cast<registry::repository_target*>(target.get());
    return t == nullptr ? nullptr : &t->repo();
}

opened_target open_target(boost::asio::any_io_executor executor, const location& where,
                          open_mode mode) {
    if (where.oci_layout) {
        return open_layout(where, mode);
    }
    return open_remote(where, [&](const reference& ref) {
        return registry::connect(executor, ref, where.remote);
    });
}

opened_target open_target(auth::client client, const location& where, open_mode mode) {
    if (where.oci_layout) {
        return open_layout(where, mode);
    }
    return open_remote(
        where, [&](const reference& ref) { return registry::connect(client, ref, where.remote); });
}

}  // namespace oras::ops
