// Bulk mirror (`ops::mirror`, `oras-cpp mirror`) between real registries: 20 repositories × 5
// tags from a token-mode registry into a basic-auth one by prefix, every digest identical, each
// blob crossing once per destination repository (a config shared by all mounted, not re-sent),
// a rerun that writes nothing; dry runs and filters that send no write; shards that together
// make the whole; one corrupted artifact failing alone; a throttling proxy waited out; a config
// error naming its line.
#include <oras/auth/credential_store.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/ops/mirror.hpp>
#include <oras/registry/connect.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/files.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>
#include <oras/test/throttle_proxy.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::descriptor;
using oras::ops::mirror_action;
using oras::test::auth_mode;
using oras::test::registry_process;

constexpr std::string_view shared_config = R"({"mirror":"test"})";

/// Requests one registry saw during a mirror.
struct request_count {
    std::size_t listing = 0;     ///< catalog and tag lists
    std::size_t other = 0;       ///< everything else sent to the registry
    std::size_t writes = 0;      ///< POST, PUT, PATCH, DELETE
    std::size_t challenges = 0;  ///< answered 401 (then sent again with credentials)
    std::map<std::string, std::size_t> blob_puts;  ///< "repo|digest" -> completed uploads
};

/// The path after `/v2/` up to `/blobs/` or `/manifests/`.
std::string repo_of(const std::string& url) {
    const auto v2 = url.find("/v2/");
    auto end = url.find("/blobs/");
    if (end == std::string::npos) {
        end = url.find("/manifests/");
    }
    return v2 == std::string::npos || end == std::string::npos ? ""
                                                               : url.substr(v2 + 4, end - v2 - 4);
}

/// How to reach `reg` (with `user`'s credentials in auth modes), counting into `count`.
oras::registry::connect_options access(const registry_process& reg,
                                       std::shared_ptr<request_count> count = nullptr,
                                       std::string host = {}) {
    oras::registry::connect_options o;
    o.plain_http = true;
    o.http.proxy.from_environment = false;
    o.credentials.use_environment = false;
    o.credentials.config_path = "/nonexistent/oras-mirror-test/config.json";
    if (reg.options().auth != auth_mode::none) {
        o.credentials.explicit_credential.username = "alice";
        o.credentials.explicit_credential.password = "alice-secret";
    }
    if (count) {
        if (host.empty()) {
            host = reg.host();
        }
        o.http.log = [count, host](const oras::http::log_event& e) {
            if (e.url.find("://" + host + "/") == std::string::npos) {
                return;  // the token issuer
            }
            if (e.url.find("/_catalog") != std::string::npos
                || e.url.find("/tags/list") != std::string::npos) {
                ++count->listing;
                return;
            }
            if (e.status == 401) {
                ++count->challenges;  // the auth handshake, once per registry and early request
                return;
            }
            ++count->other;
            if (e.method != "GET" && e.method != "HEAD") {
                ++count->writes;
            }
            const auto d = e.url.find("digest=");
            if (e.method == "PUT" && e.status == 201 && d != std::string::npos) {
                auto digest = e.url.substr(d + 7);
                digest = digest.substr(0, digest.find('&'));
                if (const auto colon = digest.find("%3A"); colon != std::string::npos) {
                    digest.replace(colon, 3, ":");
                }
                ++count->blob_puts[repo_of(e.url) + "|" + digest];
            }
        };
    }
    return o;
}

struct runner {
    template <class T>
    T operator()(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }
    asio::io_context io;
};

/// One seeded artifact.
struct seeded {
    std::string repo;
    std::string tag;
    descriptor manifest;
    descriptor shared_layer;
    descriptor big;
};

descriptor push_blob(runner& run, oras::content::target& t, std::string data,
                     std::string media_type) {
    auto d = oras::test::describe(data, std::move(media_type));
    run(t.push(d, oras::byte_source::from_string(std::move(data))));
    return d;
}

/// `repos` repositories `team/rNN` × `tags` tags `vN`: a config shared by all, a layer shared by
/// a repository's artifacts, a unique `big_size` layer and a unique 4 KiB layer.
std::vector<seeded> seed(const registry_process& reg, std::size_t repos, std::size_t tags,
                         std::size_t big_size = 1024 * 1024) {
    runner run;
    std::vector<seeded> out;
    auto client_repo = oras::registry::connect(
        run.io.get_executor(), *oras::reference::parse(reg.host() + "/team/r00"), access(reg));
    for (std::size_t r = 0; r < repos; ++r) {
        char name[32];
        std::snprintf(name, sizeof name, "team/r%02zu", r);
        oras::registry::repository_target t(oras::registry::connect(
            client_repo.client(), *oras::reference::parse(reg.host() + "/" + name), access(reg)));
        const auto config =
            push_blob(run, t, std::string(shared_config), "application/vnd.test.config+json");
        const auto shared = push_blob(run, t, oras::test::pattern(64 * 1024, unsigned(r) + 7),
                                      std::string(oras::media_type::image_layer));
        for (std::size_t k = 0; k < tags; ++k) {
            const auto tag = "v" + std::to_string(k);
            const unsigned s = unsigned(r * 100 + k);
            const auto big = push_blob(run, t, oras::test::pattern(big_size, s + 1000),
                                       "application/vnd.test.big");
            const auto small = push_blob(run, t, oras::test::pattern(4096, s + 5000),
                                         "application/vnd.test.small");
            oras::image_manifest m;
            m.media_type = std::string(oras::media_type::image_manifest);
            m.artifact_type = "application/vnd.test.mirror";
            m.config = config;
            m.layers = {shared, big, small};
            auto bytes = m.serialize();
            auto md = oras::test::describe(bytes, m.media_type);
            run(t.push_tagged(md, oras::byte_source::from_string(std::move(bytes)), {tag}));
            out.push_back(seeded{name, tag, md, shared, big});
        }
    }
    return out;
}

/// The digest `reference` names at `reg`.
std::string digest_at(runner& run, const registry_process& reg, const std::string& repo,
                      const std::string& tag, const std::string& host = {}) {
    oras::registry::repository_target t(oras::registry::connect(
        run.io.get_executor(),
        *oras::reference::parse((host.empty() ? reg.host() : host) + "/" + repo), access(reg)));
    return run(t.resolve(tag)).digest.str();
}

TEST(mirror, a_prefix_of_20_repositories_by_5_tags_crosses_once_and_a_rerun_writes_nothing) {
    registry_process src({.auth = auth_mode::token});
    registry_process dst({.auth = auth_mode::basic});
    const auto artifacts = seed(src, 20, 5);

    // A dry run with filters first: the plan, and not one write.
    auto src_count = std::make_shared<request_count>();
    auto dst_count = std::make_shared<request_count>();
    oras::ops::mirror_plan plan;
    plan.registries[src.host()] = access(src, src_count);
    plan.registries[dst.host()] = access(dst, dst_count);
    oras::ops::mirror_rule rule{.from = src.host() + "/team/", .to = dst.host() + "/copy/"};
    rule.tags.allow = {"^v[0-3]$"};
    rule.tags.deny = {"2"};
    rule.repositories.deny = {"r1[0-9]$"};
    plan.rules = {rule};
    oras::ops::mirror_options dry;
    dry.dry_run = true;
    const auto planned = oras::blocking::mirror(plan, dry);
    ASSERT_EQ(planned.artifacts.size(), 10u * 3u);  // r00..r09 × v0, v1, v3
    EXPECT_EQ(planned.planned, 30u);
    std::set<std::string> tags_seen;
    for (const auto& a : planned.artifacts) {
        EXPECT_EQ(a.action, mirror_action::planned) << a.item.source << ": " << a.error;
        tags_seen.insert(a.item.source.substr(a.item.source.rfind(':') + 1));
        EXPECT_EQ(a.item.destination.substr(0, dst.host().size() + 6), dst.host() + "/copy/");
    }
    EXPECT_EQ(tags_seen, (std::set<std::string>{"v0", "v1", "v3"}));
    EXPECT_EQ(dst_count->writes, 0u);
    EXPECT_EQ(src_count->writes, 0u);

    // The whole prefix.
    *dst_count = {};
    *src_count = {};
    plan.rules = {{.from = src.host() + "/team/", .to = dst.host() + "/mirror/"}};
    const auto r = oras::blocking::mirror(plan, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.copied, 100u);
    runner run;
    for (const auto& a : artifacts) {
        const auto dst_repo = "mirror/" + a.repo.substr(5);
        EXPECT_EQ(digest_at(run, dst, dst_repo, a.tag), a.manifest.digest.str());
        EXPECT_EQ(dst_count->blob_puts[dst_repo + "|" + a.big.digest.str()], 1u);
        EXPECT_EQ(dst_count->blob_puts[dst_repo + "|" + a.shared_layer.digest.str()], 1u)
            << "the layer shared by " << a.repo << "'s artifacts";
    }
    std::size_t config_puts = 0;
    const auto config_digest = oras::test::describe(std::string(shared_config), "x").digest.str();
    for (const auto& [key, n] : dst_count->blob_puts) {
        EXPECT_EQ(n, 1u) << key << " uploaded more than once";
        if (key.ends_with(config_digest)) {
            config_puts += n;
        }
    }
    EXPECT_EQ(config_puts, 1u) << "the config shared by every repository is mounted, not sent";
    std::size_t mounted = 0;
    for (const auto& a : r.artifacts) {
        mounted += a.mounted;
    }
    EXPECT_EQ(mounted, 19u);

    // The rerun: nothing written, at most two requests per tag besides listing.
    *dst_count = {};
    *src_count = {};
    const auto again = oras::blocking::mirror(plan, {});
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.skipped, 100u);
    EXPECT_EQ(dst_count->writes, 0u);
    EXPECT_EQ(src_count->writes, 0u);
    EXPECT_LE(src_count->other + dst_count->other, 2u * 100u)
        << "source " << src_count->other << ", destination " << dst_count->other;
    // One challenge per registry at most: requests that start together while its scheme is not
    // known yet wait for the first one's answer.
    EXPECT_LE(src_count->challenges + dst_count->challenges, 2u);
}

TEST(mirror, shards_together_mirror_everything_once) {
    registry_process src;
    registry_process dst;
    const auto artifacts = seed(src, 6, 3, 8 * 1024);
    oras::ops::mirror_plan plan;
    plan.registries[src.host()] = access(src);
    plan.registries[dst.host()] = access(dst);
    const auto& pinned = artifacts[1];  // team/r00:v1, also mirrored by digest
    plan.rules = {{.from = src.host() + "/team/", .to = dst.host() + "/m/"},
                  {.from = src.host() + "/" + pinned.repo + "@" + pinned.manifest.digest.str(),
                   .to = dst.host() + "/pinned"}};
    std::set<std::string> sources;
    std::size_t total = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        oras::ops::mirror_options o;
        o.shard = {i, 2};
        oras::ops::mirror_result r;
        if (i == 0) {
            r = oras::blocking::mirror(plan, o);
        } else {
            // The completion-token form, run on a caller's io_context.
            asio::io_context io;
            auto done = oras::ops::async_mirror(io.get_executor(), plan, o, asio::use_future);
            io.run();
            r = done.get();
        }
        ASSERT_TRUE(r.ok());
        EXPECT_GT(r.artifacts.size(), 0u) << "shard " << i;
        for (const auto& a : r.artifacts) {
            EXPECT_EQ(a.action, mirror_action::copied) << a.item.source;
            EXPECT_TRUE(sources.insert(a.item.source).second) << a.item.source << " twice";
        }
        total += r.artifacts.size();
    }
    EXPECT_EQ(total, artifacts.size() + 1);
    runner run;
    for (const auto& a : artifacts) {
        EXPECT_EQ(digest_at(run, dst, "m/" + a.repo.substr(5), a.tag), a.manifest.digest.str());
    }
    EXPECT_EQ(digest_at(run, dst, "pinned", pinned.manifest.digest.str()),
              pinned.manifest.digest.str());
}

fs::path stored_blob(const registry_process& reg, const oras::digest& d) {
    const auto hex = std::string(d.encoded());
    return reg.storage_dir() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

TEST(mirror, one_corrupted_artifact_fails_alone_and_the_cli_exits_non_zero_naming_it) {
    registry_process src;
    registry_process dst;
    const auto artifacts = seed(src, 2, 3, 256 * 1024);
    const auto& bad = artifacts[4];  // team/r01:v1
    {
        auto bytes = oras::test::read_file(stored_blob(src, bad.big.digest));
        bytes[bytes.size() / 2] ^= 0x5a;
        oras::test::write_file(stored_blob(src, bad.big.digest), bytes);
    }
    const auto r =
        oras::test::run_process({ORAS_CPP_BINARY, "mirror", "--format", "json", "--from-plain-http",
                                 "--to-plain-http", src.host() + "/team/", dst.host() + "/m/"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const auto report = boost::json::parse(r.out).as_object();
    EXPECT_EQ(report.at("failed").as_int64(), 1);
    EXPECT_EQ(report.at("copied").as_int64(), 5);
    for (const auto& v : report.at("artifacts").as_array()) {
        const auto& a = v.as_object();
        const std::string source(a.at("source").as_string());
        if (source == src.host() + "/" + bad.repo + ":" + bad.tag) {
            EXPECT_EQ(a.at("action").as_string(), "failed");
            EXPECT_NE(std::string(a.at("error").as_string()).find("digest"), std::string::npos)
                << a.at("error").as_string();
        } else {
            EXPECT_EQ(a.at("action").as_string(), "copied") << source;
        }
    }
    runner run;
    oras::registry::repository_target t(oras::registry::connect(
        run.io.get_executor(), *oras::reference::parse(dst.host() + "/m/r01"), access(dst)));
    EXPECT_FALSE(run(t.exists(bad.manifest)));
    EXPECT_FALSE(run(t.exists(bad.big)));
}

TEST(mirror, a_registry_answering_429_with_retry_after_is_waited_out) {
    registry_process src;
    registry_process dst;
    const auto artifacts = seed(src, 2, 2, 8 * 1024);
    oras::test::throttle_proxy proxy(dst.port(), 3, 1);
    oras::ops::mirror_plan plan;
    plan.registries[src.host()] = access(src);
    plan.registries[proxy.host()] = access(dst);
    plan.rules = {{.from = src.host() + "/team/", .to = proxy.host() + "/m/"}};
    const auto r = oras::blocking::mirror(plan, {});
    for (const auto& a : r.artifacts) {
        EXPECT_EQ(a.action, mirror_action::copied) << a.item.source << ": " << a.error;
    }
    EXPECT_TRUE(r.ok());
    EXPECT_GE(proxy.throttled(), 1u);
    runner run;
    for (const auto& a : artifacts) {
        EXPECT_EQ(digest_at(run, dst, "m/" + a.repo.substr(5), a.tag), a.manifest.digest.str());
    }
}

TEST(mirror, a_config_file_drives_the_cli_and_its_errors_name_the_line) {
    registry_process src;
    registry_process dst({.auth = auth_mode::basic});
    const auto artifacts = seed(src, 1, 2, 4096);
    oras::test::temp_dir dir;
    const auto config = dir.path() / "mirror.yaml";
    oras::test::write_file(config, "registries:\n  " + src.host() + ": {plain-http: true}\n  "
                                       + dst.host()
                                       + ": {plain-http: true, username: alice, password-env: "
                                         "MIRROR_TEST_PASSWORD}\n"
                                         "sync:\n  - from: "
                                       + src.host() + "/team/r00\n    to: " + dst.host()
                                       + "/one\n    tags: {deny: ['^v1$']}\n"
                                       + "  - from: " + src.host() + "/team/\n    to: oci-layout:"
                                       + (dir.path() / "layouts").string() + "\n");
    ::setenv("MIRROR_TEST_PASSWORD", "alice-secret", 1);
    const auto ok = oras::test::run_process(
        {ORAS_CPP_BINARY, "mirror", "--no-tty", "--config", config.string()});
    ::unsetenv("MIRROR_TEST_PASSWORD");
    EXPECT_EQ(ok.exit_code, 0) << ok.err << ok.out;
    EXPECT_NE(ok.out.find("Copied  " + src.host() + "/team/r00:v0"), std::string::npos) << ok.out;
    EXPECT_EQ(ok.out.find("r00:v1 => " + dst.host()), std::string::npos) << ok.out;
    EXPECT_EQ(ok.out.find("alice-secret"), std::string::npos);
    runner run;
    EXPECT_EQ(digest_at(run, dst, "one", "v0"), artifacts[0].manifest.digest.str());
    // A prefix into layouts: one layout per repository, every tag in it.
    const auto index = oras::test::read_file(dir.path() / "layouts" / "r00" / "index.json");
    for (const auto& a : artifacts) {
        EXPECT_NE(index.find(a.manifest.digest.str()), std::string::npos) << a.tag;
    }

    // -d logs the requests to the file's registries; a flag the file says instead is refused,
    // never left unread.
    ::setenv("MIRROR_TEST_PASSWORD", "alice-secret", 1);
    const auto debug = oras::test::run_process(
        {ORAS_CPP_BINARY, "mirror", "--no-tty", "--dry-run", "-d", "--config", config.string()});
    const auto refused = oras::test::run_process({ORAS_CPP_BINARY, "mirror", "--no-tty", "--config",
                                                  config.string(), "--from-username", "bob"});
    ::unsetenv("MIRROR_TEST_PASSWORD");
    EXPECT_EQ(debug.exit_code, 0) << debug.err;
    EXPECT_NE(debug.err.find("[debug] GET http://" + src.host() + "/v2/"), std::string::npos)
        << debug.err;
    EXPECT_EQ(debug.err.find("alice-secret"), std::string::npos);
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.err.find("--from-username is not taken with --config"), std::string::npos)
        << refused.err;

    // A CA file that is not there is one error naming the key, before any request.
    oras::test::write_file(config, "registries:\n  " + src.host()
                                       + ": {ca-file: /nonexistent/ca.pem}\nsync:\n  - from: "
                                       + src.host() + "/team/\n    to: " + dst.host() + "/m/\n");
    const auto no_ca = oras::test::run_process(
        {ORAS_CPP_BINARY, "mirror", "--no-tty", "--config", config.string()});
    EXPECT_EQ(no_ca.exit_code, 1);
    EXPECT_NE(no_ca.err.find("registries." + src.host()
                             + ".ca-file \"/nonexistent/ca.pem\" does not exist"),
              std::string::npos)
        << no_ca.err;
    EXPECT_EQ(no_ca.out, "");

    oras::test::write_file(config, "sync:\n  - from: " + src.host() + "/team/\n    to: "
                                       + dst.host() + "/m/\n    tags: {allow: ['v(']}\n");
    const auto bad = oras::test::run_process(
        {ORAS_CPP_BINARY, "mirror", "--no-tty", "--config", config.string()});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("mirror.yaml:4: sync[0].tags.allow[0]"), std::string::npos) << bad.err;
}

}  // namespace
