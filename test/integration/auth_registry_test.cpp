// Authentication against the real registry: basic and token modes, TLS, login and logout with
// Docker's config file and with a credential helper, and how many requests it all takes.
#include <oras/auth/client.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/registry/login.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>
#include <oras/test/token_issuer.hpp>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/parse.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using oras::auth::credential;
using oras::auth::scope_set;
using oras::test::auth_mode;
using oras::test::registry_process;

using oras::test::run;

boost::urls::url url(const std::string& s) {
    return boost::urls::url(boost::urls::parse_uri_reference(s).value());
}

/// What the HTTP client's log hook saw.
struct wire_log {
    std::vector<oras::http::log_event> events;

    std::size_t count(std::string_view method, unsigned status = 0) const {
        std::size_t n = 0;
        for (const auto& e : events) {
            n += e.method == method && (status == 0 || e.status == status);
        }
        return n;
    }
    std::size_t unauthorized() const {
        std::size_t n = 0;
        for (const auto& e : events) {
            n += e.status == 401;
        }
        return n;
    }
};

struct fixture {
    explicit fixture(const registry_process& reg,
                     std::shared_ptr<oras::auth::credential_store> creds = nullptr) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.tls.ca_file = reg.ca_file();
        o.log = [log = log](const oras::http::log_event& e) { log->events.push_back(e); };
        http.emplace(io.get_executor(), o);
        client.emplace(*http, oras::auth::client_options{.credentials = std::move(creds)});
        base = reg.base_url();
    }

    asio::io_context io;
    std::shared_ptr<wire_log> log = std::make_shared<wire_log>();
    std::optional<oras::http::client> http;
    std::optional<oras::auth::client> client;
    std::string base;
};

scope_set pull(const std::string& repo) {
    return {oras::auth::repository_scope(repo, {"pull"})};
}
scope_set push(const std::string& repo) {
    return {oras::auth::repository_scope(repo, {"pull", "push"})};
}

std::shared_ptr<oras::auth::credential_store> creds(const registry_process& reg,
                                                    const std::string& user,
                                                    const std::string& password) {
    return std::make_shared<oras::auth::static_credentials>(reg.host(),
                                                            credential{user, password, "", ""});
}

/// Pushes `body` as a blob in two requests (POST, then PUT with the digest) and returns its
/// digest; throws on an unexpected status.
asio::awaitable<std::string> push_blob(oras::auth::client& c, std::string base, std::string repo,
                                       oras::byte_source body, std::string digest,
                                       scope_set scopes) {
    oras::http::request post;
    post.method = "POST";
    post.url = url(base + "/v2/" + repo + "/blobs/uploads/");
    auto started = co_await c.fetch(std::move(post), scopes);
    if (started.status != 202) {
        throw std::runtime_error("POST answered " + std::to_string(started.status));
    }
    auto location = url(std::string(started.headers.get("Location")));
    if (!location.has_scheme()) {
        auto absolute = url(base);
        absolute.set_encoded_path(location.encoded_path());
        absolute.set_encoded_query(location.encoded_query());
        location = absolute;
    }
    location.params().append({"digest", digest});
    oras::http::request put;
    put.method = "PUT";
    put.url = location;
    put.headers.set("Content-Type", "application/octet-stream");
    put.body = std::move(body);
    auto done = co_await c.fetch(std::move(put), scopes);
    if (done.status != 201) {
        throw std::runtime_error("PUT answered " + std::to_string(done.status) + ": " + done.body);
    }
    co_return digest;
}

asio::awaitable<std::string> push_string(oras::auth::client& c, std::string base, std::string repo,
                                         std::string data) {
    auto digest = oras::digest::of(data).str();
    co_return co_await push_blob(c, base, repo, oras::byte_source::from_string(data), digest,
                                 push(repo));
}

asio::awaitable<oras::http::client::buffered_response> get_blob(oras::auth::client& c,
                                                                std::string base, std::string repo,
                                                                std::string digest) {
    oras::http::request get;
    get.url = url(base + "/v2/" + repo + "/blobs/" + digest);
    co_return co_await c.fetch(std::move(get), pull(repo));
}

oras::http::client plain_http(asio::io_context& io, const registry_process& reg) {
    oras::http::client_options o;
    o.proxy.from_environment = false;
    o.tls.ca_file = reg.ca_file();
    return oras::http::client(io.get_executor(), o);
}

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// --- basic (htpasswd) mode -------------------------------------------------------------------

TEST(auth_registry, basic_login_succeeds_and_a_wrong_password_is_a_clear_error) {
    registry_process reg({.auth = auth_mode::basic});
    oras::test::temp_dir dir;
    const auto config = dir.path() / "docker" / "config.json";
    auto store = std::make_shared<oras::auth::docker_credentials>(config);
    asio::io_context io;

    try {
        run(io, oras::registry::login(plain_http(io, reg), reg.host(),
                                      {"alice", "wrong-password", "", ""}, store));
        FAIL() << "a wrong password was accepted";
    } catch (const oras::error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.code(), oras::errc::unauthorized);
        EXPECT_NE(what.find("login to " + reg.host() + " failed"), std::string::npos) << what;
        EXPECT_NE(what.find("\"alice\""), std::string::npos) << what;
        EXPECT_EQ(what.find("wrong-password"), std::string::npos) << what;
    }
    EXPECT_FALSE(fs::exists(config));  // nothing saved

    run(io, oras::registry::login(plain_http(io, reg), reg.host(),
                                  {"alice", "alice-secret", "", ""}, store));
    ASSERT_TRUE(fs::exists(config));
    EXPECT_EQ(fs::status(config).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
    const auto got = store->get(reg.host());
    ASSERT_TRUE(got) << got.error().message;
    EXPECT_EQ(got->username, "alice");
    EXPECT_EQ(got->password, "alice-secret");

    // The saved credentials work for pushes and pulls.
    fixture f(reg, store);
    const auto digest = run(f.io, push_string(*f.client, f.base, "team/app", "hello basic"));
    auto blob = run(f.io, get_blob(*f.client, f.base, "team/app", digest));
    EXPECT_EQ(blob.status, 200u);
    EXPECT_EQ(blob.body, "hello basic");

    ASSERT_TRUE(oras::registry::logout(reg.host(), *store));
    EXPECT_TRUE(store->get(reg.host())->empty());
    EXPECT_EQ(oras::registry::logout(reg.host(), *store).error(), oras::errc::not_found);
}

TEST(auth_registry, basic_second_push_makes_no_401_and_a_large_body_crosses_once) {
    registry_process reg({.auth = auth_mode::basic});
    fixture f(reg, creds(reg, "alice", "alice-secret"));
    run(f.io, push_string(*f.client, f.base, "app", "first"));
    EXPECT_EQ(f.log->unauthorized(), 1u);  // the first POST learned the scheme

    f.log->events.clear();
    oras::test::temp_dir dir;
    const auto file = dir.path() / "large.bin";
    std::string data(16 << 20, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) {
        data[i] = static_cast<char>(i * 7919 >> 3);
    }
    std::ofstream(file, std::ios::binary).write(data.data(), std::streamsize(data.size()));
    const auto digest = oras::digest::of(data).str();
    run(f.io, push_blob(*f.client, f.base, "app", oras::byte_source::from_file(file), digest,
                        push("app")));
    EXPECT_EQ(f.log->unauthorized(), 0u);
    EXPECT_EQ(f.log->count("PUT"), 1u);  // the 16 MiB body went over the wire once
    EXPECT_EQ(f.client->stats().challenges, 1u);
}

TEST(auth_registry, basic_over_tls) {
    registry_process reg({.auth = auth_mode::basic, .tls = true});
    asio::io_context io;
    auto store = std::make_shared<oras::auth::static_credentials>();
    run(io,
        oras::registry::login(plain_http(io, reg), reg.host(), {"alice", "alice-secret", "", ""},
                              store, {.repository = {.force_https = true}}));
    fixture f(reg, store);
    const auto digest = run(f.io, push_string(*f.client, f.base, "tls/app", "over tls"));
    EXPECT_EQ(run(f.io, get_blob(*f.client, f.base, "tls/app", digest)).body, "over tls");

    fixture anonymous(reg);
    EXPECT_EQ(run(anonymous.io, get_blob(*anonymous.client, f.base, "tls/app", digest)).status,
              401u);
}

// --- token mode --------------------------------------------------------------------------------

TEST(auth_registry, token_mode_refuses_anonymous_and_serves_credentials) {
    registry_process reg({.auth = auth_mode::token});
    fixture anonymous(reg);
    try {
        run(anonymous.io, push_string(*anonymous.client, anonymous.base, "app", "x"));
        FAIL() << "anonymous push accepted";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::unauthorized);
        EXPECT_NE(std::string(e.what()).find("requires credentials"), std::string::npos)
            << e.what();
    }

    fixture f(reg, creds(reg, "alice", "alice-secret"));
    const auto digest = run(f.io, push_string(*f.client, f.base, "team/app", "hello token"));
    auto blob = run(f.io, get_blob(*f.client, f.base, "team/app", digest));
    EXPECT_EQ(blob.status, 200u);
    EXPECT_EQ(blob.body, "hello token");
    // One token for pull+push served the pull too.
    EXPECT_EQ(f.client->stats().token_requests, 1u);
}

TEST(auth_registry, token_login_and_wrong_password) {
    registry_process reg({.auth = auth_mode::token});
    asio::io_context io;
    auto store = std::make_shared<oras::auth::static_credentials>();
    try {
        run(io, oras::registry::login(plain_http(io, reg), reg.host(), {"alice", "nope", "", ""},
                                      store));
        FAIL() << "a wrong password was accepted";
    } catch (const oras::error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.code(), oras::errc::unauthorized);
        EXPECT_NE(what.find("refused the credentials of user \"alice\""), std::string::npos)
            << what;
        EXPECT_EQ(what.find("nope"), std::string::npos) << what;
    }
    EXPECT_TRUE(store->get(reg.host())->empty());
    run(io, oras::registry::login(plain_http(io, reg), reg.host(),
                                  {"alice", "alice-secret", "", ""}, store));
    EXPECT_EQ(store->get(reg.host())->username, "alice");
}

TEST(auth_registry, token_second_push_makes_no_401_and_a_large_body_crosses_once) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, creds(reg, "alice", "alice-secret"));
    run(f.io, push_string(*f.client, f.base, "app", "first"));
    EXPECT_EQ(f.log->unauthorized(), 1u);
    const auto tokens = reg.issuer()->token_count();

    f.log->events.clear();
    oras::test::temp_dir dir;
    const auto file = dir.path() / "large.bin";
    std::string data(16 << 20, 'z');
    std::ofstream(file, std::ios::binary).write(data.data(), std::streamsize(data.size()));
    run(f.io, push_blob(*f.client, f.base, "app", oras::byte_source::from_file(file),
                        oras::digest::of(data).str(), push("app")));
    EXPECT_EQ(f.log->unauthorized(), 0u);
    EXPECT_EQ(f.log->count("PUT"), 1u);
    EXPECT_EQ(reg.issuer()->token_count(), tokens);  // served from the cache
}

TEST(auth_registry, a_pull_only_token_is_upgraded_on_insufficient_scope) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, creds(reg, "alice", "alice-secret"));
    const auto digest = run(f.io, push_string(*f.client, f.base, "app", "seed"));
    f.client->clear();
    reg.issuer()->clear_records();

    // A pull first (pull-only token cached), then a push that declares only pull.
    EXPECT_EQ(run(f.io, get_blob(*f.client, f.base, "app", digest)).status, 200u);
    f.log->events.clear();
    run(f.io, push_blob(*f.client, f.base, "app", oras::byte_source::from_string("more"),
                        oras::digest::of(std::string("more")).str(), pull("app")));
    EXPECT_EQ(f.log->unauthorized(), 1u);  // insufficient_scope, once
    const auto last = reg.issuer()->last_issued();
    ASSERT_EQ(last.access.size(), 1u);
    EXPECT_EQ(last.access[0].name, "app");
    EXPECT_NE(std::find(last.access[0].actions.begin(), last.access[0].actions.end(), "push"),
              last.access[0].actions.end());

    // A user who may only pull gets the upgrade refused: the 401 is the answer, no loop.
    fixture reader(reg, creds(reg, "reader", "reader-secret"));
    EXPECT_THROW(run(reader.io, push_string(*reader.client, reader.base, "app", "nope")),
                 std::runtime_error);
    EXPECT_EQ(reader.log->count("POST"), 2u);
}

TEST(auth_registry, an_expiring_token_is_refreshed_before_use) {
    registry_process reg({.auth = auth_mode::token, .token_lifetime = 2s});
    fixture f(reg, creds(reg, "alice", "alice-secret"));
    const auto digest = run(f.io, push_string(*f.client, f.base, "app", "short-lived"));
    EXPECT_EQ(f.client->stats().token_requests, 1u);
    std::this_thread::sleep_for(1200ms);  // past the refresh point (half of a 2 s life)
    f.log->events.clear();
    EXPECT_EQ(run(f.io, get_blob(*f.client, f.base, "app", digest)).status, 200u);
    EXPECT_EQ(f.client->stats().token_requests, 2u);
    EXPECT_EQ(f.log->unauthorized(), 0u);  // refreshed before the registry could refuse it
}

TEST(auth_registry, a_token_the_registry_refuses_as_expired_is_replaced) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, creds(reg, "alice", "alice-secret"));
    const auto digest = run(f.io, push_string(*f.client, f.base, "app", "expired"));
    f.client->clear();

    // The token service hands out tokens already expired (a clock skew, say): refused.
    reg.issuer()->set_token_lifetime(-1h);
    EXPECT_EQ(run(f.io, get_blob(*f.client, f.base, "app", digest)).status, 401u);
    // The service recovers; the cached (expired) token is refused once and replaced.
    reg.issuer()->set_token_lifetime(300s);
    f.log->events.clear();
    auto blob = run(f.io, get_blob(*f.client, f.base, "app", digest));
    EXPECT_EQ(blob.status, 200u);
    EXPECT_EQ(blob.body, "expired");
    EXPECT_EQ(f.log->unauthorized(), 1u);
}

TEST(auth_registry, concurrent_first_requests_share_one_token) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, creds(reg, "alice", "alice-secret"));
    const auto digest = run(f.io, push_string(*f.client, f.base, "app", "shared"));
    f.client->clear();
    reg.issuer()->clear_records();
    std::vector<std::future<oras::http::client::buffered_response>> results;
    for (int i = 0; i < 8; ++i) {
        results.push_back(
            asio::co_spawn(f.io, get_blob(*f.client, f.base, "app", digest), asio::use_future));
    }
    f.io.restart();
    f.io.run();
    for (auto& r : results) {
        EXPECT_EQ(r.get().status, 200u);
    }
    EXPECT_EQ(reg.issuer()->request_count("/token"), 1u);
}

// --- credential helper -------------------------------------------------------------------------

/// A Docker credential helper written as a shell script: keeps one credential in a file.
class helper_script {
  public:
    helper_script() {
        const auto script = dir_.path() / "docker-credential-orastest";
        std::ofstream(script) << R"(#!/bin/sh
dir=$(dirname "$0")
echo "$1" >> "$dir/calls"
case "$1" in
  store) cat > "$dir/stored.json" ;;
  get)
    read -r url
    if [ -f "$dir/stored.json" ]; then cat "$dir/stored.json"
    else echo "credentials not found in native keychain"; exit 1; fi ;;
  erase)
    read -r url
    if [ -f "$dir/stored.json" ]; then rm "$dir/stored.json"
    else echo "credentials not found in native keychain"; exit 1; fi ;;
  *) exit 2 ;;
esac
)";
        fs::permissions(script, fs::perms::owner_all);
        const char* path = std::getenv("PATH");
        old_path_ = path != nullptr ? path : "";
        ::setenv("PATH", (dir_.path().string() + ":" + old_path_).c_str(), 1);
    }
    ~helper_script() { ::setenv("PATH", old_path_.c_str(), 1); }

    const fs::path& dir() const { return dir_.path(); }
    std::string calls() const { return slurp(dir_.path() / "calls"); }

  private:
    oras::test::temp_dir dir_;
    std::string old_path_;
};

TEST(auth_registry, a_credential_helper_answers_store_get_and_erase) {
    registry_process reg({.auth = auth_mode::token});
    helper_script helper;
    oras::test::temp_dir dir;
    const auto config = dir.path() / "config.json";
    const std::string original =
        R"({"credHelpers":{")" + reg.host() + R"(":"orastest"},"psFormat":"table"})";
    std::ofstream(config) << original;
    auto store = std::make_shared<oras::auth::docker_credentials>(config);

    asio::io_context io;
    run(io, oras::registry::login(plain_http(io, reg), reg.host(),
                                  {"alice", "alice-secret", "", ""}, store));
    EXPECT_EQ(helper.calls(), "store\n");
    EXPECT_EQ(slurp(config), original);  // the helper holds the secret, not the file
    EXPECT_NE(slurp(helper.dir() / "stored.json").find("alice-secret"), std::string::npos);

    fixture f(reg, store);
    const auto digest = run(f.io, push_string(*f.client, f.base, "helped", "via helper"));
    EXPECT_EQ(run(f.io, get_blob(*f.client, f.base, "helped", digest)).body, "via helper");
    EXPECT_EQ(helper.calls(), "store\nget\n");  // looked up once per registry

    ASSERT_TRUE(oras::registry::logout(reg.host(), *store));
    EXPECT_FALSE(fs::exists(helper.dir() / "stored.json"));
    EXPECT_TRUE(store->get(reg.host())->empty());
}

}  // namespace
