// connect: a ready repository for a reference — HTTP client, credentials, scheme — in one call.
#pragma once

#include <oras/auth/client.hpp>
#include <oras/auth/credential_store.hpp>
#include <oras/reference.hpp>
#include <oras/registry/repository.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::registry {

/// How `connect` reaches a registry: scheme and TLS, credentials, HTTP and repository settings.
/// Every field has a default.
struct connect_options {
    /// Plain http. Loopback registries use http unless `ca_file`, `insecure`, a client
    /// certificate or `force_https` is set.
    bool plain_http = false;
    /// https even for a loopback registry (the ORAS CLI's `--plain-http=false`).
    bool force_https = false;
    /// Do not verify the registry's TLS certificate (never the default).
    bool insecure = false;
    /// CA certificates (PEM) to trust instead of the system's (as the ORAS CLI's `--ca-file`);
    /// `http.tls` can trust both.
    std::string ca_file{};
    /// Explicit credentials, ORAS_USER/ORAS_PASS, Docker's config and helpers; the reference's
    /// registry is added to `registries`, so explicit credentials go to it and nowhere else.
    auth::credential_options credentials{};
    /// HTTP client settings (timeouts, retries, proxies, logging); TLS fields are set from the
    /// ones above.
    http::client_options http{};
    /// Repository settings; `plain_http` and `force_https` are set from the ones above.
    repository_options repository{};
};

/// A repository for `ref`'s registry and repository on `executor`, with its own HTTP client
/// (connection pools) and authenticating client. Copies of the result share them; make one per
/// registry and reuse it across operations for connection reuse and cached tokens.
repository connect(boost::asio::any_io_executor executor, const reference& ref,
                   connect_options options = {});

/// A repository for `ref` that shares `client` (its connection pools and cached tokens) with
/// the repositories already made with it; `options` give the scheme (`plain_http`, `insecure`,
/// `ca_file`) and repository settings, its credential and HTTP fields are those of `client`.
repository connect(auth::client client, const reference& ref, const connect_options& options);

/// The HTTP client options `connect` uses.
http::client_options http_options_for(const connect_options& options);

/// The authenticating client `connect` makes for `registry` (its own HTTP client; explicit
/// credentials offered to `registry` only): for code that needs one client per registry before,
/// or besides, a repository (a catalog, many repositories of one registry).
auth::client client_for(boost::asio::any_io_executor executor, std::string_view registry,
                        const connect_options& options);

/// The repository settings `connect` derives from `options` (the scheme from `plain_http`,
/// `insecure` and `ca_file`).
repository_options repository_options_for(const connect_options& options);

}  // namespace oras::registry

#pragma GCC visibility pop
