// The blocking facade: one io_context per call, on the caller's thread.
#include <oras/auth/client.hpp>
#include <oras/auth/login.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository_target.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

namespace oras::blocking {

namespace asio = boost::asio;

namespace {

template <class T>
T run(asio::io_context& io, asio::awaitable<T> a) {
    auto f = asio::co_spawn(io, std::move(a), asio::use_future);
    io.run();
    return f.get();
}

struct remote_session {
    remote_session(const reference& ref, const remote_options& remote)
        : repo(registry::connect(io.get_executor(), ref, remote)), target(repo) {}

    asio::io_context io;
    registry::repository repo;
    registry::repository_target target;
};

reference parse_or_throw(std::string_view text) {
    auto ref = reference::parse(text);
    if (!ref) {
        throw error(ref.error());
    }
    return *ref;
}

}  // namespace

ops::push_result push(std::string_view text, ops::push_options options,
                      const remote_options& remote) {
    auto split = split_tags(text);
    if (!split) {
        throw error(split.error());
    }
    const auto ref = parse_or_throw(split->reference);
    if (ref.has_digest()) {
        throw error(errc::invalid_reference,
                    "push to " + std::string(text) + ": a digest cannot be pushed to");
    }
    for (auto& t : split->tags) {
        options.tags.push_back(std::move(t));
    }
    remote_session s(ref, remote);
    return run(s.io, ops::push(s.target, std::move(options)));
}

ops::pull_result pull(std::string_view text, ops::pull_options options,
                      const remote_options& remote) {
    const auto ref = parse_or_throw(text);
    if (ref.manifest_reference().empty()) {
        throw error(errc::invalid_reference,
                    "pull " + std::string(text) + ": name a tag or a digest");
    }
    remote_session s(ref, remote);
    return run(s.io, ops::pull(s.target, ref.manifest_reference(), std::move(options)));
}

ops::push_result push_layout(const std::filesystem::path& layout, ops::push_options options) {
    asio::io_context io;
    content::oci_layout target(layout);
    return run(io, ops::push(target, std::move(options)));
}

ops::pull_result pull_layout(const std::filesystem::path& layout, std::string reference,
                             ops::pull_options options) {
    asio::io_context io;
    content::oci_layout target(layout, {.create = false, .read_only = true});
    return run(io, ops::pull(target, std::move(reference), std::move(options)));
}

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

namespace {

/// A target for one end of a copy, with the tags its reference names.
struct copy_end {
    std::unique_ptr<content::target> target;
    std::string reference;  ///< tag or digest in the target (source side)
    std::vector<std::string> tags;
};

std::vector<std::string> tag_list(std::string_view list) {
    auto tags = parse_tag_list(list);
    if (!tags) {
        throw error(tags.error());
    }
    return std::move(*tags);
}

/// Whether two ends reach one registry the same way, so that they can share one client: its
/// connection pools and tokens (and a blob can be mounted from one into the other).
bool same_access(const remote_options& a, const remote_options& b) {
    return a.plain_http == b.plain_http && a.insecure == b.insecure && a.ca_file == b.ca_file
           && a.credentials.explicit_credential == b.credentials.explicit_credential
           && a.credentials.config_path == b.credentials.config_path
           && a.credentials.use_environment == b.credentials.use_environment;
}

copy_end open_end(asio::io_context& io, const copy_endpoint& e, bool source,
                  const copy_end* other = nullptr, const copy_endpoint* other_endpoint = nullptr) {
    copy_end out;
    if (e.oci_layout) {
        auto [dir, ref] = split_layout_reference(e.reference);
        if (dir.empty()) {
            throw error(errc::invalid_argument, "name the OCI layout directory");
        }
        if (source) {
            if (ref.empty()) {
                throw error(errc::invalid_reference,
                            "name a tag or digest of the layout: DIR:TAG or DIR@DIGEST");
            }
            out.reference = ref;
            out.target = std::make_unique<content::oci_layout>(
                dir, content::oci_layout_options{.create = false, .read_only = true});
        } else {
            if (!ref.empty() && ref.find(':') == std::string::npos) {
                out.tags = tag_list(ref);
            }
            out.target = std::make_unique<content::oci_layout>(dir);
        }
        return out;
    }
    auto split = split_tags(e.reference);
    if (!split) {
        throw error(split.error());
    }
    const auto ref = parse_or_throw(split->reference);
    if (source) {
        if (ref.manifest_reference().empty()) {
            throw error(errc::invalid_reference,
                        e.reference + ": name a tag or a digest to copy from");
        }
        if (split->tags.size() > 1) {
            throw error(errc::invalid_reference, e.reference + ": copy from one tag at a time");
        }
        out.reference = ref.manifest_reference();
    } else {
        out.tags = std::move(split->tags);
    }
    auto* shared =
        other ? dynamic_cast<registry::repository_target*>(other->target.get()) : nullptr;
    if (shared && shared->repo().registry() == ref.registry()
        && same_access(other_endpoint->remote, e.remote)) {
        out.target = std::make_unique<registry::repository_target>(
            registry::connect(shared->repo().client(), ref, e.remote));
    } else {
        out.target = std::make_unique<registry::repository_target>(
            registry::connect(io.get_executor(), ref, e.remote));
    }
    return out;
}

}  // namespace

ops::copy_result copy(const copy_endpoint& from, const copy_endpoint& to,
                      ops::copy_options options) {
    asio::io_context io;
    auto src = open_end(io, from, true);
    // A destination layout this call creates is removed again if the copy fails: a failed copy
    // leaves no empty layout behind.
    std::optional<std::filesystem::path> created;
    if (to.oci_layout) {
        auto dir = split_layout_reference(to.reference).dir;
        std::error_code ec;
        if (!std::filesystem::exists(dir, ec)) {
            created = std::move(dir);
        }
    }
    try {
        auto dst = open_end(io, to, false, &src, &from);
        for (auto& t : dst.tags) {
            options.tags.push_back(std::move(t));
        }
        return run(io, ops::copy(*src.target, src.reference, *dst.target, std::move(options)));
    } catch (...) {
        if (created) {
            std::error_code ec;
            std::filesystem::remove_all(*created, ec);
        }
        throw;
    }
}

ops::mirror_result mirror(ops::mirror_plan plan, ops::mirror_options options) {
    asio::io_context io;
    return run(io, ops::mirror(std::move(plan), std::move(options)));
}

void login(std::string_view registry, auth::credential cred, const remote_options& remote) {
    asio::io_context io;
    http::client http(io.get_executor(), registry::http_options_for(remote));
    auto creds = remote.credentials;
    creds.explicit_credential = {};
    creds.use_environment = false;
    auto store = auth::default_credentials(creds);
    auth::login_options lo;
    if (remote.plain_http) {
        lo.scheme = "http";
    } else if (remote.insecure || !remote.ca_file.empty()) {
        lo.scheme = "https";
    }
    run(io, auth::login(http, std::string(registry), std::move(cred), store, lo));
}

void logout(std::string_view registry, const remote_options& remote) {
    auto creds = remote.credentials;
    creds.explicit_credential = {};
    creds.use_environment = false;
    auto store = auth::default_credentials(creds);
    if (auto r = auth::logout(registry, *store); !r) {
        throw error(r.error());
    }
}

}  // namespace oras::blocking
