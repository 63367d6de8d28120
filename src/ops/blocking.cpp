// The blocking facade: one io_context per call, on the caller's thread.
#include <oras/auth/client.hpp>
#include <oras/auth/docker_config.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/reference.hpp>
#include <oras/registry/connect.hpp>
#include <oras/registry/login.hpp>
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
        io, ops::copy_locations(
                io.get_executor(), {from.reference, from.oci_layout, from.remote, from.layout_path},
                {to.reference, to.oci_layout, to.remote, to.layout_path}, std::move(options)));
}

namespace {

/// Opens `where` on a fresh io_context and runs what `op(target)` returns on it.
template <class Op>
auto on_target(const ops::location& where, ops::open_mode mode, Op op) {
    asio::io_context io;
    auto t = ops::open_target(io.get_executor(), where, mode);
    return run(io, op(t));
}

/// The tag or digest a location names; `invalid_reference` when it names none.
std::string named(const ops::opened_target& t, const ops::location& where) {
    if (t.reference.empty()) {
        throw error(errc::invalid_reference, where.text + ": name a tag or a digest");
    }
    return t.reference;
}

oras::digest named_digest(const ops::opened_target& t, const ops::location& where) {
    auto d = digest::parse(t.reference);
    if (!d) {
        throw error(errc::invalid_reference, where.text + ": name the blob by digest");
    }
    return std::move(*d);
}

}  // namespace

ops::attach_result attach(const ops::location& subject, ops::attach_options options) {
    return on_target(subject, ops::open_mode::update, [&](ops::opened_target& t) {
        return ops::attach(*t.target, named(t, subject), std::move(options));
    });
}

ops::discover_result discover(const ops::location& subject, ops::discover_options options) {
    return on_target(subject, ops::open_mode::read, [&](ops::opened_target& t) {
        return ops::discover(*t.target, named(t, subject), std::move(options));
    });
}

descriptor resolve(const ops::location& reference) {
    return on_target(reference, ops::open_mode::read,
                     [&](ops::opened_target& t) { return t.target->resolve(named(t, reference)); });
}

descriptor tag(const ops::location& reference, std::vector<std::string> tags) {
    return on_target(reference, ops::open_mode::update, [&](ops::opened_target& t) {
        return ops::tag(*t.target, named(t, reference), std::move(tags));
    });
}

std::vector<std::string> tags(const ops::location& repository, ops::list_tags_options options) {
    return on_target(repository, ops::open_mode::read, [&](ops::opened_target& t) {
        return ops::list_tags(*t.target, std::move(options));
    });
}

ops::fetched_manifest fetch_manifest(const ops::location& reference,
                                     ops::fetch_manifest_options options) {
    return on_target(reference, ops::open_mode::read, [&](ops::opened_target& t) {
        return ops::fetch_manifest(*t.target, named(t, reference), std::move(options));
    });
}

ops::pushed_manifest push_manifest(const ops::location& reference, std::string bytes,
                                   std::string media_type) {
    return on_target(reference, ops::open_mode::write, [&](ops::opened_target& t) {
        return ops::push_manifest(*t.target, std::move(bytes), std::move(media_type), t.tags);
    });
}

descriptor delete_manifest(const ops::location& reference) {
    return on_target(reference, ops::open_mode::update, [&](ops::opened_target& t) {
        return ops::delete_manifest(*t.target, named(t, reference));
    });
}

namespace {

asio::awaitable<descriptor> fetch_blob_to(content::target& src, oras::digest d,
                                          std::filesystem::path output) {
    auto desc = co_await ops::stat_blob(src, std::move(d));
    co_await ops::fetch_blob_to_file(src, desc, std::move(output));
    co_return desc;
}

}  // namespace

descriptor fetch_blob(const ops::location& reference, const std::filesystem::path& output) {
    return on_target(reference, ops::open_mode::read, [&](ops::opened_target& t) {
        return fetch_blob_to(*t.target, named_digest(t, reference), output);
    });
}

ops::pushed_blob push_blob(const ops::location& repository, const std::filesystem::path& input,
                           std::string media_type) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(input, ec);
    if (ec) {
        throw error(errc::invalid_argument,
                    "cannot read the blob file \"" + input.string() + "\": " + ec.message());
    }
    return on_target(repository, ops::open_mode::write, [&](ops::opened_target& t) {
        std::optional<oras::digest> expected;
        if (!t.reference.empty()) {
            expected = named_digest(t, repository);
        }
        return ops::push_blob(*t.target, byte_source::from_file(input, 0, size),
                              std::move(media_type), std::move(expected));
    });
}

descriptor delete_blob(const ops::location& reference) {
    return on_target(reference, ops::open_mode::update, [&](ops::opened_target& t) {
        return ops::delete_blob(*t.target, named_digest(t, reference));
    });
}

ops::mirror_result mirror(ops::mirror_plan plan, ops::mirror_options options) {
    asio::io_context io;
    return run(io, ops::mirror(std::move(plan), std::move(options)));
}

namespace {

/// Every credential file `creds` names, read before anything is sent: a malformed one (the
/// first, written by a login, or one of the fallbacks) fails at once, as oras builds every
/// file's store first.
void check_config_files(const auth::credential_options& creds) {
    std::vector<std::filesystem::path> paths{
        creds.config_path.empty() ? auth::docker_config::default_path() : creds.config_path};
    paths.insert(paths.end(), creds.fallback_config_paths.begin(),
                 creds.fallback_config_paths.end());
    for (const auto& p : paths) {
        if (auto c = auth::docker_config::load(p); !c) {
            throw error(c.error());
        }
    }
}

}  // namespace

void login(std::string_view registry, auth::credential cred, const remote_options& remote) {
    check_config_files(remote.credentials);
    asio::io_context io;
    http::client http(io.get_executor(), registry::http_options_for(remote));
    auto creds = remote.credentials;
    creds.explicit_credential = {};
    creds.use_environment = false;
    auto store = auth::default_credentials(creds);
    registry::login_options lo;
    lo.repository = registry::repository_options_for(remote);
    run(io, registry::login(http, std::string(registry), std::move(cred), store, lo));
}

void logout(std::string_view registry, const remote_options& remote) {
    check_config_files(remote.credentials);
    auto creds = remote.credentials;
    creds.explicit_credential = {};
    creds.use_environment = false;
    auto store = auth::default_credentials(creds);
    if (auto r = registry::logout(registry, *store); !r) {
        throw error(r.error());
    }
}

}  // namespace oras::blocking
