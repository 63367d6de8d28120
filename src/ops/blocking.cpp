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

ops::copy_result copy(const copy_endpoint& from, const copy_endpoint& to,
                      ops::copy_options options) {
    asio::io_context io;
    return run(
        io, ops::copy_locations(io.get_executor(), {from.reference, from.oci_layout, from.remote},
                                {to.reference, to.oci_layout, to.remote}, std::move(options)));
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
