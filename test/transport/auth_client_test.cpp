// The authenticating client against scripted registries and token services: where credentials
// and tokens may go, token response variants, OAuth2 forms, merged fetches, scope upgrades.
#include <oras/auth/client.hpp>
#include <oras/detail/base64.hpp>
#include <oras/error.hpp>

#include "scripted_server.hpp"

#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/url/parse.hpp>

#include <fstream>
#include <future>
#include <string>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using oras::auth::credential;
using oras::auth::scope_set;
using oras::test::action;
using oras::test::scripted_request;
using oras::test::scripted_server;

using oras::test::run;

oras::http::request make(std::string method, const std::string& u) {
    oras::http::request r;
    r.method = std::move(method);
    r.url = boost::urls::url(boost::urls::parse_uri(u).value());
    return r;
}

oras::http::client_options http_options(const std::string& ca_file = {}) {
    oras::http::client_options o;
    o.retry.base_delay = 1ms;
    o.retry.max_delay = 5ms;
    o.proxy.from_environment = false;
    o.tls.ca_file = ca_file;
    return o;
}

scope_set pull(const std::string& repo) {
    return {oras::auth::repository_scope(repo, {"pull"})};
}
scope_set push(const std::string& repo) {
    return {oras::auth::repository_scope(repo, {"pull", "push"})};
}

std::string basic(const std::string& user, const std::string& password) {
    return "Basic " + oras::detail::base64_encode(user + ":" + password);
}

/// A token service: Basic alice:secret (or no credentials at all, when `anonymous`) gets a token
/// named after the scopes asked for; anything else 401.
oras::test::handler token_service(bool anonymous = false) {
    return [anonymous](const scripted_request& r) {
        const auto auth = r.header("Authorization");
        if (auth == basic("alice", "secret") || (anonymous && auth.empty())) {
            std::string token = "tok";
            if (r.target.find("push") != std::string::npos) {
                token += "-push";
            }
            return action{.headers = {{"Content-Type", "application/json"}},
                          .body = R"({"token":")" + token + R"(","expires_in":300})"};
        }
        return action{.status = 401,
                      .headers = {{"Content-Type", "application/json"}},
                      .body = R"({"error":"unauthorized","error_description":"bad password"})"};
    };
}

/// A registry that wants `Bearer tok` (pull) or `Bearer tok-push` (push, for POST/PUT).
oras::test::handler bearer_registry(std::string realm, std::string extra = {}) {
    return [realm, extra](const scripted_request& r) {
        const auto auth = r.header("Authorization");
        const bool writes = r.method == "POST" || r.method == "PUT";
        const bool ok =
            writes ? auth == "Bearer tok-push" : auth == "Bearer tok" || auth == "Bearer tok-push";
        if (ok) {
            return action{.status = writes ? 202u : 200u, .body = "{}"};
        }
        std::string challenge = "Bearer realm=\"" + realm + "\",service=\"reg\"";
        if (!auth.empty()) {
            challenge += ",scope=\"repository:app:pull,push\",error=\"insufficient_scope\"";
        }
        challenge += extra;
        return action{
            .status = 401,
            .headers = {{"WWW-Authenticate", challenge}, {"Content-Type", "application/json"}},
            .body = R"({"errors":[{"code":"UNAUTHORIZED","message":"no"}]})"};
    };
}

std::size_t count_if_header(const std::vector<scripted_request>& reqs, std::string_view name,
                            std::string_view prefix) {
    std::size_t n = 0;
    for (const auto& r : reqs) {
        if (r.header(name).starts_with(prefix) && r.has_header(name)) {
            ++n;
        }
    }
    return n;
}

std::shared_ptr<oras::auth::credential_store> creds_for(const scripted_server& reg, credential c) {
    return std::make_shared<oras::auth::static_credentials>(reg.host(), std::move(c));
}

/// The code of the error `client` fails a GET of `url` with (none: no error), each of `said`
/// expected in its message.
std::error_code failure_of(asio::io_context& io, oras::auth::client& client, const std::string& url,
                           const std::vector<std::string>& said) {
    try {
        run(io, client.fetch(make("GET", url), pull("app")));
    } catch (const oras::error& e) {
        for (const auto& s : said) {
            EXPECT_NE(std::string(e.what()).find(s), std::string::npos) << e.what();
        }
        return e.code();
    }
    return {};
}

TEST(auth_client, credentials_go_only_to_the_realm_and_tokens_only_to_the_registry) {
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});

    auto r = run(io, client.fetch(make("GET", reg.url() + "/v2/app/tags/list"), pull("app")));
    EXPECT_EQ(r.status, 200u);
    r = run(io, client.fetch(make("GET", reg.url() + "/v2/app/manifests/x"), pull("app")));
    EXPECT_EQ(r.status, 200u);

    const auto reg_reqs = reg.requests();
    ASSERT_EQ(reg_reqs.size(), 3u);  // 401, then two pre-authorised requests
    EXPECT_EQ(count_if_header(reg_reqs, "Authorization", "Basic"), 0u);
    EXPECT_EQ(count_if_header(reg_reqs, "Authorization", "Bearer tok"), 2u);
    const auto tok_reqs = tokens.requests();
    ASSERT_EQ(tok_reqs.size(), 1u);  // cached for the second request
    EXPECT_EQ(tok_reqs[0].header("Authorization"), basic("alice", "secret"));
    EXPECT_NE(tok_reqs[0].target.find("service=reg"), std::string::npos);
    EXPECT_NE(tok_reqs[0].target.find("scope=repository:app:pull"), std::string::npos);
    EXPECT_EQ(client.stats().challenges, 1u);
    EXPECT_EQ(client.stats().token_requests, 1u);
}

TEST(auth_client, credentials_of_one_registry_are_not_offered_to_another) {
    scripted_server tokens(token_service(/*anonymous=*/true));
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    // Credentials for some other registry only.
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = std::make_shared<oras::auth::static_credentials>(
                                   "elsewhere.example", credential{"alice", "secret", "", ""})});
    auto r = run(io, client.fetch(make("GET", reg.url() + "/v2/app/tags/list"), pull("app")));
    EXPECT_EQ(r.status, 200u);
    for (const auto& t : tokens.requests()) {
        EXPECT_FALSE(t.has_header("Authorization"));
    }
}

TEST(auth_client, an_http_realm_of_an_https_registry_is_refused) {
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"), {.tls = true});
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options(reg.ca_file())),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    try {
        run(io, client.fetch(make("GET", reg.url() + "/v2/app/tags/list"), pull("app")));
        FAIL() << "expected an error";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::invalid_response);
        EXPECT_NE(std::string(e.what()).find("plain http"), std::string::npos) << e.what();
    }
    EXPECT_EQ(tokens.requests().size(), 0u);
}

TEST(auth_client, realms_other_than_http_or_https_are_refused) {
    for (const std::string realm : {"ftp://example.com/token", "file:///etc/passwd", "/token"}) {
        scripted_server reg(bearer_registry(realm));
        asio::io_context io;
        oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                                  {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
        try {
            run(io, client.fetch(make("GET", reg.url() + "/v2/app/tags/list"), pull("app")));
            FAIL() << "expected an error for " << realm;
        } catch (const oras::error& e) {
            EXPECT_EQ(e.code(), oras::errc::invalid_response) << realm;
            EXPECT_NE(std::string(e.what()).find("realm"), std::string::npos) << e.what();
        }
    }
}

TEST(auth_client, a_refused_password_is_a_clear_error_without_the_password) {
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "hunter2", "", ""})});
    try {
        run(io, client.fetch(make("GET", reg.url() + "/v2/app/tags/list"), pull("app")));
        FAIL() << "expected an error";
    } catch (const oras::error& e) {
        const std::string what = e.what();
        EXPECT_EQ(e.code(), oras::errc::unauthorized);
        EXPECT_NE(what.find("refused the credentials of user \"alice\""), std::string::npos)
            << what;
        EXPECT_NE(what.find("bad password"), std::string::npos) << what;
        EXPECT_EQ(what.find("hunter2"), std::string::npos) << what;
        EXPECT_EQ(e.diag().status, 401u);
    }
}

TEST(auth_client, anonymous_refused_by_the_token_service) {
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()));
    try {
        run(io, client.fetch(make("GET", reg.url() + "/v2/app/tags/list"), pull("app")));
        FAIL() << "expected an error";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::unauthorized);
        EXPECT_NE(std::string(e.what()).find("requires credentials"), std::string::npos)
            << e.what();
    }
}

TEST(auth_client, token_response_variants) {
    struct variant {
        std::string body;
        bool ok;
    };
    const std::vector<variant> variants = {
        {R"({"access_token":"tok"})", true},
        {R"({"token":"tok","access_token":"other","expires_in":60.5,"issued_at":"x"})", true},
        {R"({"token":"tok","expires_in":"soon"})", true},  // an odd expiry is only ignored
        {R"({"token":""})", false},
        {R"({"token":42})", false},
        {R"({"token":"tok\r\nX-Injected: 1"})", false},
        {R"(not json)", false},
        {R"(["tok"])", false},
    };
    for (const auto& v : variants) {
        scripted_server tokens([&v](const scripted_request&) { return action{.body = v.body}; });
        scripted_server reg(bearer_registry(tokens.url() + "/token"));
        asio::io_context io;
        oras::auth::client client(oras::http::client(io.get_executor(), http_options()));
        if (v.ok) {
            auto r = run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")));
            EXPECT_EQ(r.status, 200u) << v.body;
        } else {
            try {
                run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")));
                ADD_FAILURE() << "accepted " << v.body;
            } catch (const oras::error& e) {
                EXPECT_EQ(e.code(), oras::errc::invalid_response) << v.body;
                EXPECT_EQ(std::string(e.what()).find("X-Injected"), std::string::npos);
            }
        }
    }
}

TEST(auth_client, identity_token_uses_the_oauth2_refresh_form) {
    scripted_server tokens([](const scripted_request& r) {
        if (r.method == "POST" && r.body.find("grant_type=refresh_token") != std::string::npos
            && r.body.find("refresh_token=idtok%2Fsecret") != std::string::npos) {
            return action{.body = R"({"access_token":"tok","refresh_token":"next"})"};
        }
        return action{.status = 400, .body = R"({"error":"invalid_request"})"};
    });
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(
        oras::http::client(io.get_executor(), http_options()),
        {.credentials = creds_for(reg, {"", "", "idtok/secret", ""}), .client_id = "my-client"});
    auto r = run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")));
    EXPECT_EQ(r.status, 200u);
    const auto reqs = tokens.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].header("Content-Type"), "application/x-www-form-urlencoded");
    EXPECT_FALSE(reqs[0].has_header("Authorization"));
    EXPECT_NE(reqs[0].body.find("service=reg"), std::string::npos) << reqs[0].body;
    EXPECT_NE(reqs[0].body.find("scope=repository%3Aapp%3Apull"), std::string::npos)
        << reqs[0].body;
    EXPECT_NE(reqs[0].body.find("client_id=my-client"), std::string::npos) << reqs[0].body;
}

TEST(auth_client, force_oauth2_sends_a_password_grant) {
    scripted_server tokens([](const scripted_request& r) {
        if (r.method == "POST" && r.body.find("grant_type=password") != std::string::npos
            && r.body.find("username=alice") != std::string::npos
            && r.body.find("password=p%26ss") != std::string::npos) {
            return action{.body = R"({"access_token":"tok","refresh_token":"rt"})"};
        }
        return action{.status = 401, .body = "{}"};
    });
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(
        oras::http::client(io.get_executor(), http_options()),
        {.credentials = creds_for(reg, {"alice", "p&ss", "", ""}), .force_oauth2 = true});
    EXPECT_EQ(run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app"))).status,
              200u);
    ASSERT_EQ(tokens.requests().size(), 1u);
}

TEST(auth_client, concurrent_requests_share_one_token_fetch) {
    std::atomic<int> served{0};
    scripted_server tokens([&served](const scripted_request&) {
        ++served;
        return action{.body = R"({"token":"tok"})", .delay_before_head = 100ms};
    });
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()));
    std::vector<std::future<oras::http::client::buffered_response>> results;
    for (int i = 0; i < 6; ++i) {
        results.push_back(asio::co_spawn(
            io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")), asio::use_future));
    }
    io.run();
    for (auto& f : results) {
        EXPECT_EQ(f.get().status, 200u);
    }
    EXPECT_EQ(served.load(), 1);
    EXPECT_EQ(client.stats().token_requests, 1u);
}

TEST(auth_client, insufficient_scope_upgrades_the_token_once) {
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    // A pull token is cached first; then a write that only declared pull.
    EXPECT_EQ(run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app"))).status,
              200u);
    auto r = run(io, client.fetch(make("POST", reg.url() + "/v2/app/blobs/uploads/"), pull("app")));
    EXPECT_EQ(r.status, 202u);
    const auto tok_reqs = tokens.requests();
    ASSERT_EQ(tok_reqs.size(), 2u);
    EXPECT_NE(tok_reqs[1].target.find("scope=repository:app:pull,push"), std::string::npos)
        << tok_reqs[1].target;
    EXPECT_EQ(client.stats().retried, 2u);  // the first 401, then insufficient_scope
}

TEST(auth_client, a_registry_that_keeps_refusing_gets_one_retry_only) {
    scripted_server tokens(token_service());
    scripted_server reg([realm = tokens.url() + "/token"](const scripted_request&) {
        return action{.status = 401,
                      .headers = {{"WWW-Authenticate", "Bearer realm=\"" + realm
                                                           + "\",service=\"reg\",error="
                                                             "\"invalid_token\""}}};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    auto r = run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")));
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(reg.requests().size(), 2u);
}

TEST(auth_client, basic_scheme_preauthorises_after_the_first_challenge) {
    scripted_server reg([](const scripted_request& r) {
        if (r.header("Authorization") == basic("alice", "secret")) {
            return action{.body = "{}"};
        }
        return action{.status = 401, .headers = {{"WWW-Authenticate", "Basic realm=\"reg\""}}};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(run(io, client.fetch(make("GET", reg.url() + "/v2/"), {})).status, 200u);
    }
    EXPECT_EQ(reg.requests().size(), 4u);
    EXPECT_EQ(client.stats().challenges, 1u);

    // Wrong password: one retry, then the 401 is the answer.
    oras::auth::client wrong(oras::http::client(io.get_executor(), http_options()),
                             {.credentials = creds_for(reg, {"alice", "nope", "", ""})});
    EXPECT_EQ(run(io, wrong.fetch(make("GET", reg.url() + "/v2/"), {})).status, 401u);
    EXPECT_EQ(reg.requests().size(), 6u);
    // No credentials: no retry.
    oras::auth::client none(oras::http::client(io.get_executor(), http_options()));
    EXPECT_EQ(run(io, none.fetch(make("GET", reg.url() + "/v2/"), {})).status, 401u);
    EXPECT_EQ(reg.requests().size(), 7u);
}

TEST(auth_client, concurrent_first_requests_are_challenged_once) {
    scripted_server reg([](const scripted_request& r) {
        if (r.header("Authorization") == basic("alice", "secret")) {
            return action{.body = "{}"};
        }
        return action{.status = 401, .headers = {{"WWW-Authenticate", "Basic realm=\"reg\""}}};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    // Eight reads at once to a registry whose scheme is not known yet: the first one learns
    // it, the others wait for that instead of each being refused first.
    int ok = 0;
    const auto one = [&]() -> asio::awaitable<void> {
        auto r = co_await client.fetch(make("HEAD", reg.url() + "/v2/app/manifests/v1"), {});
        ok += r.status == 200 ? 1 : 0;
    };
    for (int i = 0; i < 8; ++i) {
        asio::co_spawn(io, one(), asio::detached);
    }
    io.run();
    EXPECT_EQ(ok, 8);
    EXPECT_EQ(client.stats().challenges, 1u);
    EXPECT_EQ(client.stats().held, 7u);
    EXPECT_EQ(reg.requests().size(), 9u);
}

TEST(auth_client, reads_of_an_anonymous_registry_are_not_held_back) {
    scripted_server reg([](const scripted_request&) { return action{.body = "{}"}; });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()));
    int ok = 0;
    const auto one = [&]() -> asio::awaitable<void> {
        auto r = co_await client.fetch(make("GET", reg.url() + "/v2/app/manifests/v1"), {});
        ok += r.status == 200 ? 1 : 0;
    };
    // The first read is answered without a challenge: later reads need not wait for anything.
    asio::co_spawn(io, one(), asio::detached);
    io.run();
    EXPECT_EQ(client.stats().held, 0u);
    io.restart();
    for (int i = 0; i < 6; ++i) {
        asio::co_spawn(io, one(), asio::detached);
    }
    io.run();
    EXPECT_EQ(ok, 7);
    EXPECT_EQ(client.stats().held, 0u);
    EXPECT_EQ(client.stats().challenges, 0u);
}

TEST(auth_client, a_body_is_sent_once_to_a_registry_not_yet_known) {
    scripted_server reg([](const scripted_request& r) {
        if (r.header("Authorization") == basic("alice", "secret")) {
            return action{.status = r.method == "PUT" ? 201u : 200u};
        }
        return action{.status = 401, .headers = {{"WWW-Authenticate", "Basic realm=\"reg\""}}};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    auto req = make("PUT", reg.url() + "/v2/app/blobs/uploads/x?digest=sha256:00");
    req.body = oras::byte_source::from_string(std::string(1 << 20, 'x'));
    EXPECT_EQ(run(io, client.fetch(std::move(req), push("app"))).status, 201u);
    const auto reqs = reg.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0].method, "GET");  // GET /v2/ learned the scheme
    EXPECT_EQ(reqs[0].target, "/v2/");
    EXPECT_EQ(reqs[1].method, "PUT");
    EXPECT_EQ(reqs[1].body.size(), std::size_t{1} << 20);
    EXPECT_EQ(client.stats().discoveries, 1u);
}

TEST(auth_client, a_challenge_from_where_discovery_was_redirected_is_not_learned) {
    // GET /v2/ of the registry leads elsewhere, whose 401 names a realm of its choosing: the
    // registry's password must never reach it.
    scripted_server thief(
        [](const scripted_request&) { return action{.body = R"({"token":"stolen"})"}; });
    const auto realm = thief.url() + "/token";
    scripted_server elsewhere([realm](const scripted_request&) {
        return action{.status = 401,
                      .headers = {{"WWW-Authenticate", "Bearer realm=\"" + realm + "\""}}};
    });
    const auto target = elsewhere.url() + "/v2/";
    scripted_server reg([target](const scripted_request& r) {
        if (r.target == "/v2/") {
            return action{.status = 307, .headers = {{"Location", target}}};
        }
        return action{.status = 201};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    auto req = make("PUT", reg.url() + "/v2/app/blobs/uploads/x?digest=sha256:00");
    req.body = oras::byte_source::from_string("body");
    EXPECT_EQ(run(io, client.fetch(std::move(req), push("app"))).status, 201u);
    EXPECT_TRUE(thief.requests().empty());
    for (const auto& r : reg.requests()) {
        EXPECT_FALSE(r.has_header("Authorization")) << r.target;
    }
}

TEST(auth_client, a_token_form_is_not_redirected_to_another_origin) {
    scripted_server collector(
        [](const scripted_request&) { return action{.body = R"({"access_token":"tok"})"}; });
    const auto away = collector.url() + "/collect";
    scripted_server tokens([away](const scripted_request&) {
        return action{.status = 307, .headers = {{"Location", away}}};
    });
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"", "", "idtok/secret", ""})});
    const auto code = failure_of(io, client, reg.url() + "/v2/app/x", {"carries credentials"});
    EXPECT_EQ(code, oras::errc::invalid_response);
    EXPECT_TRUE(collector.requests().empty());
    EXPECT_EQ(tokens.requests().size(), 1u);
}

// Another port of the realm's own host may be another server: the form is not sent there either
// (https to https on one host was once taken for an upgrade).
TEST(auth_client, a_token_form_is_not_redirected_to_another_port_of_its_host) {
    const oras::test::server_options tls{.tls = true};
    scripted_server collector(
        [](const scripted_request&) { return action{.body = R"({"access_token":"tok"})"}; }, tls);
    const auto away = collector.url() + "/collect";
    scripted_server tokens(
        [away](const scripted_request&) {
            return action{.status = 307, .headers = {{"Location", away}}};
        },
        tls);
    ASSERT_TRUE(away.starts_with("https://127.0.0.1:")) << away;
    ASSERT_TRUE(tokens.url().starts_with("https://127.0.0.1:")) << tokens.url();
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    oras::test::temp_dir dir;
    const auto both_cas = dir.path() / "cas.pem";
    {
        std::ofstream out(both_cas);
        out << std::ifstream(collector.ca_file()).rdbuf()
            << std::ifstream(tokens.ca_file()).rdbuf();
    }
    asio::io_context io;
    oras::auth::client client(
        oras::http::client(io.get_executor(), http_options(both_cas.string())),
        {.credentials = creds_for(reg, {"", "", "idtok/secret", ""})});
    const auto code = failure_of(io, client, reg.url() + "/v2/app/x", {"carries credentials"});
    EXPECT_EQ(code, oras::errc::invalid_response);
    EXPECT_TRUE(collector.requests().empty());
    EXPECT_EQ(tokens.requests().size(), 1u);
}

// A challenge that cannot be parsed is named: left unsaid, the 401 read as refused credentials.
// One malformed field beside a good one does not hide the good one.
TEST(auth_client, a_malformed_challenge_is_named_and_does_not_hide_a_good_one) {
    scripted_server broken([](const scripted_request&) {
        return action{.status = 401,
                      .headers = {{"WWW-Authenticate", "Bearer realm=\"https://auth.example/tok"}}};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(broken, {"alice", "secret", "", ""})});
    const auto code = failure_of(io, client, broken.url() + "/v2/app/x",
                                 {"malformed WWW-Authenticate challenge", broken.host()});
    EXPECT_EQ(code, oras::errc::invalid_response);

    scripted_server tokens(token_service());
    const auto good = bearer_registry(tokens.url() + "/token");
    scripted_server reg([good](const scripted_request& r) {
        auto a = good(r);
        if (a.status == 401) {
            a.headers.insert(a.headers.begin(), {"WWW-Authenticate", "Vendor a=\"unterminated"});
        }
        return a;
    });
    oras::auth::client second(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    const auto r = run(io, second.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")));
    EXPECT_EQ(r.status, 200u);
}

// `login myreg:443` stores the credentials under the name typed; a request spelled the same way
// (whose origin drops the default port) finds them there, or under the short name. A request
// without the port looks under the short name only, as Docker and oras do.
TEST(auth_client, credentials_stored_under_the_default_port_spelled_out_are_found) {
    // The registry is reached through a proxy: its name and port are then only words.
    scripted_server reg([](const scripted_request& r) {
        if (r.header("Authorization") == basic("alice", "secret")) {
            return action{.body = "{}"};
        }
        return action{.status = 401, .headers = {{"WWW-Authenticate", "Basic realm=\"reg\""}}};
    });
    for (const std::string stored : {"reg.example:80", "reg.example"}) {
        for (const std::string url : {"http://reg.example:80", "http://reg.example"}) {
            asio::io_context io;
            auto o = http_options();
            o.proxy.http_proxy = reg.url();
            oras::auth::client client(
                oras::http::client(io.get_executor(), o),
                {.credentials = std::make_shared<oras::auth::static_credentials>(
                     stored, credential{"alice", "secret", "", ""})});
            const auto r = run(io, client.fetch(make("GET", url + "/v2/app/x"), pull("app")));
            const bool found = stored == "reg.example" || url.ends_with(":80");
            EXPECT_EQ(r.status, found ? 200u : 401u) << stored << " " << url;
        }
    }
}

TEST(auth_client, a_token_answer_too_large_names_the_token_service) {
    scripted_server tokens([](const scripted_request&) {
        return action{.headers = {{"Content-Type", "application/json"}},
                      .body = R"({"token":")" + std::string(300 * 1024, 'x') + R"("})"};
    });
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    const auto code = failure_of(io, client, reg.url() + "/v2/app/x",
                                 {"the token service \"" + tokens.url() + "/token"});
    EXPECT_EQ(code, oras::errc::size_exceeds_limit);
}

TEST(auth_client, a_streamed_body_is_never_sent_twice) {
    // The scheme is known, but the registry refuses the credentials: the 401 comes back.
    scripted_server reg([](const scripted_request&) {
        return action{.status = 401, .headers = {{"WWW-Authenticate", "Basic realm=\"reg\""}}};
    });
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"alice", "secret", "", ""})});
    auto req = make("PATCH", reg.url() + "/v2/app/blobs/uploads/x");
    auto sent = std::make_shared<bool>(false);
    req.body = oras::byte_source::from_generator(
        [sent](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            if (*sent) {
                co_return 0;
            }
            *sent = true;
            buf[0] = std::byte{'x'};
            co_return 1;
        });
    EXPECT_EQ(run(io, client.fetch(std::move(req), push("app"))).status, 401u);
    std::size_t patches = 0;
    for (const auto& r : reg.requests()) {
        patches += r.method == "PATCH";
    }
    EXPECT_EQ(patches, 1u);
}

TEST(auth_client, a_fixed_registry_token_is_sent_as_is) {
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = creds_for(reg, {"", "", "", "tok"})});
    EXPECT_EQ(run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app"))).status,
              200u);
    EXPECT_EQ(tokens.requests().size(), 0u);
}

TEST(auth_client, a_failing_credential_store_is_reported) {
    struct failing : oras::auth::credential_store {
        oras::result<credential> get(std::string_view) override {
            return oras::make_failure(oras::errc::unavailable, "helper exploded");
        }
        oras::result<void> store(std::string_view, const credential&) override { return {}; }
        oras::result<void> erase(std::string_view) override { return {}; }
    };
    scripted_server tokens(token_service());
    scripted_server reg(bearer_registry(tokens.url() + "/token"));
    asio::io_context io;
    oras::auth::client client(oras::http::client(io.get_executor(), http_options()),
                              {.credentials = std::make_shared<failing>()});
    try {
        run(io, client.fetch(make("GET", reg.url() + "/v2/app/x"), pull("app")));
        FAIL() << "expected an error";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::unavailable);
        EXPECT_NE(std::string(e.what()).find("helper exploded"), std::string::npos);
        EXPECT_NE(std::string(e.what()).find(reg.host()), std::string::npos);
    }
}

}  // namespace
