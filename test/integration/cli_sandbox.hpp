// CLI tests against a registry: the sandboxed runner and checks of oras/test/cli_sandbox.hpp,
// plus registry state over HTTP and the raw repository API.
#pragma once

#include <gtest/gtest.h>
#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <oras/auth/client.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/http/client.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/cli_sandbox.hpp>
#include <oras/test/files.hpp>
#include <oras/test/http.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/secrets.hpp>
#include <oras/test/temp_dir.hpp>
#include <oras/version.hpp>
#include <string>
#include <vector>

namespace oras::cli_test {

namespace asio = boost::asio;
using oras::descriptor;
using oras::test::auth_mode;
using oras::test::registry_process;

// Helpers

/// What `GET /v2/<repo>/tags/list` answers (status).
inline unsigned tags_status(const registry_process& reg, const std::string& repo) {
    oras::test::request_options o;
    o.ca_file = reg.ca_file();
    if (reg.options().auth == auth_mode::basic) {
        o.headers.emplace_back("Authorization", oras::test::basic_auth("alice", "alice-secret"));
    }
    return oras::test::http_request("GET", reg.base_url() + "/v2/" + repo + "/tags/list", o).status;
}

/// What `HEAD /v2/<repo>/blobs/<digest>` answers (status).
inline unsigned blob_status(const registry_process& reg, const std::string& repo,
                            const std::string& data) {
    oras::test::request_options o;
    o.ca_file = reg.ca_file();
    const auto url = reg.base_url() + "/v2/" + repo + "/blobs/" + oras::digest::of(data).str();
    return oras::test::http_request("HEAD", url, o).status;
}

/// The repository API, for artifacts the CLI would never make.
struct raw_repository {
    raw_repository(const registry_process& reg, const std::string& name) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.tls.ca_file = reg.ca_file();
        auth.emplace(oras::http::client(io.get_executor(), o), oras::auth::client_options{});
        target.emplace(oras::registry::repository(
            *auth, reg.host(), name, oras::registry::repository_options{.force_https = reg.tls()}));
    }

    descriptor push_blob(std::string data, std::string media_type) {
        descriptor d;
        d.media_type = std::move(media_type);
        d.digest = oras::digest::of(data);
        d.size = static_cast<std::int64_t>(data.size());
        oras::test::run(io, target->push(d, oras::byte_source::from_string(std::move(data))));
        return d;
    }

    /// An artifact manifest (empty config) with `layers`, tagged `tag`.
    descriptor push_artifact(std::vector<descriptor> layers, const std::string& tag) {
        oras::image_manifest m;
        m.media_type = std::string(oras::media_type::image_manifest);
        m.artifact_type = "application/vnd.test.evil";
        m.config = oras::empty_json_descriptor();
        push_blob("{}", std::string(oras::media_type::empty_json));
        m.layers = std::move(layers);
        const auto bytes = m.serialize();
        descriptor d;
        d.media_type = m.media_type;
        d.digest = oras::digest::of(bytes);
        d.size = static_cast<std::int64_t>(bytes.size());
        oras::test::run(io, target->push_tagged(d, oras::byte_source::from_string(bytes),
                                                std::vector<std::string>{tag}));
        return d;
    }

    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository_target> target;
};

}  // namespace oras::cli_test
