// location: the parsing of CLI-style references into targets, in one place.
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/location.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository_target.hpp>

#include "core/quote.hpp"
#include "core/reads_as_digest.hpp"

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

/// `--oci-layout-path`'s reference: a digest, else a list of reference names.
void parse_layout_path_reference(const std::string& text, opened_target& out) {
    if (text.empty()) {
        return;
    }
    auto d = digest::parse(text);
    if (d || oras::detail::reads_as_digest(text)) {
        out.reference = std::move(d).value().str();  // throws invalid_digest for a bad one
        return;
    }
    std::string_view rest = text;
    for (;;) {
        const auto comma = rest.find(',');
        const auto name = rest.substr(0, comma);
        if (auto v = validate_ref_name(name); !v) {
            throw error(v.error());
        }
        out.tags.emplace_back(name);
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    out.reference = out.tags.front();
}

opened_target open_layout(const location& where, open_mode mode) {
    opened_target out;
    out.display = "[oci-layout] " + where.text;
    std::filesystem::path dir;
    if (!where.layout_path.empty()) {
        dir = where.layout_path;
        parse_layout_path_reference(where.text, out);
    } else {
        auto [d, ref] = split_layout_reference(where.text);
        if (d.empty()) {
            throw error(errc::invalid_argument, "name the OCI layout directory");
        }
        dir = std::move(d);
        if (!ref.empty()) {
            if (ref.find(':') != std::string::npos) {
                auto dg = digest::parse(ref);
                if (!dg) {
                    throw error(dg.error());
                }
                out.reference = ref;
            } else {
                out.tags = tag_list(ref);
                out.reference = out.tags.front();
            }
        }
    }
    out.layout_dir = dir;
    std::error_code ec;
    if (std::filesystem::is_regular_file(dir, ec)) {
        // A layout in a tar archive, as oras reads `--oci-layout layout.tar:v1`.
        if (mode != open_mode::read) {
            throw error(errc::unsupported, "an OCI layout in an archive is read-only: "
                                               + quote(dir.string()) + " cannot be written to");
        }
        out.target = content::oci_layout::from_tar(dir);
        return out;
    }
    if (mode != open_mode::write && !std::filesystem::is_directory(dir, ec)) {
        throw error(errc::not_found, "no OCI layout at " + quote(dir.string()));
    }
    if (mode == open_mode::read) {
        out.target = std::make_unique<content::oci_layout>(
            dir, content::oci_layout_options{.create = false, .read_only = true});
    } else {
        out.created = !std::filesystem::exists(dir, ec);
        out.target = std::make_unique<content::oci_layout>(
            dir, content::oci_layout_options{.create = mode == open_mode::write});
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
    // `repo:tag@digest` names the digest (as oras-go parses it): the tag is not a tag to
    // write, or a push would tag content the digest does not name.
    if (!ref->has_digest()) {
        out.tags = std::move(split->tags);
    }
    out.reference = ref->manifest_reference();
    out.target = std::make_unique<registry::repository_target>(connect(*ref));
    return out;
}

}  // namespace

registry::repository* opened_target::repository() const noexcept {
    auto* t = dynamic_cast<registry::repository_target*>(target.get());
    return t == nullptr ? nullptr : &t->repo();
}

opened_target open_target(boost::asio::any_io_executor executor, const location& where,
                          open_mode mode) {
    if (where.is_layout()) {
        return open_layout(where, mode);
    }
    return open_remote(where, [&](const reference& ref) {
        return registry::connect(executor, ref, where.remote);
    });
}

opened_target open_target(auth::client client, const location& where, open_mode mode) {
    if (where.is_layout()) {
        return open_layout(where, mode);
    }
    return open_remote(
        where, [&](const reference& ref) { return registry::connect(client, ref, where.remote); });
}

namespace {

/// Whether two ends reach one registry the same way, so that they can share one client: its
/// connection pools and tokens (and a blob can be mounted from one into the other).
bool same_access(const registry::connect_options& a, const registry::connect_options& b) {
    return a.plain_http == b.plain_http && a.insecure == b.insecure && a.ca_file == b.ca_file
           && a.credentials.explicit_credential == b.credentials.explicit_credential
           && a.credentials.config_path == b.credentials.config_path
           && a.credentials.fallback_config_paths == b.credentials.fallback_config_paths
           && a.http.resolve == b.http.resolve
           && a.http.tls.client_certificate_file == b.http.tls.client_certificate_file
           && a.http.tls.client_key_file == b.http.tls.client_key_file
           && std::equal(a.http.extra_headers.begin(), a.http.extra_headers.end(),
                         b.http.extra_headers.begin(), b.http.extra_headers.end())
           && a.credentials.use_environment == b.credentials.use_environment;
}

}  // namespace

boost::asio::awaitable<copy_result> copy_locations(boost::asio::any_io_executor executor,
                                                   location from, location to,
                                                   copy_options options) {
    auto src = open_target(executor, from, open_mode::read);
    if (src.reference.empty()) {
        throw error(errc::invalid_reference,
                    !from.layout_path.empty()
                        ? "name a tag or digest in the layout " + quote(from.layout_path.string())
                    : from.oci_layout ? "name a tag or digest of the layout: DIR:TAG or DIR@DIGEST"
                                      : from.text + ": name a tag or a digest to copy from");
    }
    if (src.tags.size() > 1) {
        throw error(errc::invalid_reference, from.text + ": copy from one tag at a time");
    }
    auto* src_repo = src.repository();
    opened_target dst;
    if (!to.is_layout() && src_repo != nullptr && same_access(from.remote, to.remote)) {
        const auto split = split_tags(to.text);
        const auto ref =
            split ? reference::parse(split->reference) : result<reference>(split.error());
        if (ref && ref->registry() == src_repo->registry()) {
            dst = open_target(src_repo->client(), to, open_mode::write);
        }
    }
    if (!dst.target) {
        dst = open_target(executor, to, open_mode::write);
    }
    const bool digest_and_tags =
        dst.tags.empty() && !dst.reference.empty() && !options.tags.empty();
    for (auto& t : dst.tags) {
        options.tags.push_back(std::move(t));
    }
    // A destination layout this call creates is removed again if the copy fails: a failed copy
    // leaves no empty layout behind.
    std::exception_ptr failed;
    try {
        if (digest_and_tags) {
            // The copy's tags would go unchecked against the digest the destination names.
            throw error(errc::invalid_reference,
                        to.text + ": a destination digest and tags to add cannot be combined");
        }
        if (!options.tags.empty()) {
            co_return co_await copy(*src.target, src.reference, *dst.target, std::move(options));
        }
        // No destination tag: the graph is copied and left untagged (as `oras cp` does), and
        // a destination digest must be the root's.
        auto root = co_await src.target->resolve(src.reference);
        if (options.platform) {
            const auto want = *options.platform;
            root = co_await select_platform(*src.target, std::move(root), want,
                                            options.max_manifest_size);
            options.platform.reset();
        }
        if (!dst.reference.empty() && dst.reference != root.digest.str()) {
            throw error(errc::digest_mismatch, to.text + ": what " + from.text + " names is "
                                                   + root.digest.str() + ", not " + dst.reference);
        }
        auto r = co_await copy_graph(*src.target, root, *dst.target, std::move(options));
        if (dst.layout_dir != std::filesystem::path{}) {
            // Listed untagged in index.json, to be found (and kept) there.
            const auto by_digest = root.digest.str();
            co_await dst.target->tag(root, by_digest);
        }
        co_return r;
    } catch (...) {
        failed = std::current_exception();
    }
    if (dst.created) {
        std::error_code ec;
        std::filesystem::remove_all(dst.layout_dir, ec);
    }
    std::rethrow_exception(failed);
}

}  // namespace oras::ops
