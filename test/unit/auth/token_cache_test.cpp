#include <oras/auth/token_cache.hpp>
#include <oras/errc.hpp>

#include "auth/token_response.hpp"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using oras::auth::repository_scope;
using oras::auth::scope_set;
using oras::auth::token_cache;

const auto t0 = token_cache::clock::time_point{} + 1000h;

TEST(token_cache, exact_and_covering_lookups) {
    token_cache c;
    const scope_set pull{repository_scope("app", {"pull"})};
    const scope_set push{repository_scope("app", {"pull", "push"})};
    c.store("r.example", push, "T-push", 300s, t0);
    EXPECT_EQ(c.find("r.example", push, t0), "T-push");
    EXPECT_EQ(c.find("r.example", pull, t0), "T-push");  // covered by the wider token
    EXPECT_FALSE(c.find("other.example", pull, t0));     // tokens never cross registries
    EXPECT_FALSE(c.find("r.example", scope_set{repository_scope("lib", {"pull"})}, t0));
}

TEST(token_cache, keys_are_canonical) {
    token_cache c;
    scope_set a;
    a.add(repository_scope("b", {"push", "pull"}));
    a.add(repository_scope("a", {"pull"}));
    c.store("r", a, "T", 300s, t0);
    const scope_set b{repository_scope("a", {"pull"}), repository_scope("b", {"pull"}),
                      repository_scope("b", {"push"})};
    EXPECT_EQ(c.find("r", b, t0), "T");
    EXPECT_EQ(c.size(), 1u);
}

TEST(token_cache, refreshes_before_expiry) {
    token_cache c({.refresh_margin = 30s});
    const scope_set s{repository_scope("app", {"pull"})};
    c.store("r", s, "T", 300s, t0);
    EXPECT_TRUE(c.find("r", s, t0 + 269s));
    EXPECT_FALSE(c.find("r", s, t0 + 270s));  // within the margin: fetch a new one
    // A short-lived token is still used for half its life.
    c.store("r", s, "short", 10s, t0);
    EXPECT_TRUE(c.find("r", s, t0 + 4s));
    EXPECT_FALSE(c.find("r", s, t0 + 5s));
    // No expires_in: the default lifetime.
    c.store("r", s, "default", 0s, t0);
    EXPECT_TRUE(c.find("r", s, t0 + 29s));
    EXPECT_FALSE(c.find("r", s, t0 + 61s));
}

TEST(token_cache, erase_and_bounded_size) {
    token_cache c({.max_per_registry = 2});
    for (int i = 0; i < 5; ++i) {
        c.store("r", scope_set{repository_scope("app" + std::to_string(i), {"pull"})},
                "T" + std::to_string(i), std::chrono::seconds(100 + i), t0);
    }
    EXPECT_EQ(c.size(), 2u);
    EXPECT_TRUE(c.find("r", scope_set{repository_scope("app4", {"pull"})}, t0));
    c.erase("r", scope_set{repository_scope("app4", {"pull"})});
    EXPECT_FALSE(c.find("r", scope_set{repository_scope("app4", {"pull"})}, t0));
    c.erase("r");
    EXPECT_EQ(c.size(), 0u);
}

TEST(token_response, docker_and_oauth2_forms) {
    using oras::auth::detail::parse_token_response;
    auto r =
        parse_token_response(R"({"token":"T1","expires_in":300,"refresh_token":"R"})", "realm");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->token, "T1");
    EXPECT_EQ(r->expires_in, 300s);
    EXPECT_EQ(r->refresh_token, "R");
    r = parse_token_response(R"({"access_token":"A","expires_in":59.9})", "realm");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->token, "A");
    EXPECT_EQ(r->expires_in, 59s);
    r = parse_token_response(R"({"token":"T","access_token":"A","expires_in":-5})", "realm");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->token, "T");  // `token` wins
    EXPECT_EQ(r->expires_in, 0s);
    for (const char* bad : {"", "[]", "{}", R"({"token":""})", R"({"token":5})",
                            R"({"token":"a b"})", "{\"token\":\"a\\r\\nX: y\"}", "{\"token\":"}) {
        const auto e = parse_token_response(bad, "https://auth.example/token");
        ASSERT_FALSE(e) << bad;
        EXPECT_EQ(e.error().code, oras::errc::invalid_response) << bad;
        EXPECT_NE(e.error().message.find("auth.example"), std::string::npos) << e.error().message;
    }
}

}  // namespace

TEST(token_cache, erase_token_forgets_a_refused_token_under_every_scope_set) {
    oras::auth::token_cache cache;
    const auto now = oras::auth::token_cache::clock::now();
    const oras::auth::scope_set pull{oras::auth::repository_scope("app", {"pull"})};
    const oras::auth::scope_set both{oras::auth::repository_scope("app", {"pull", "push"})};
    cache.store("https://reg", pull, "refused", std::chrono::seconds(300), now);
    cache.store("https://reg", both, "refused", std::chrono::seconds(300), now);
    cache.store("https://reg", oras::auth::scope_set{oras::auth::catalog_scope()}, "kept",
                std::chrono::seconds(300), now);
    cache.erase_token("https://reg", "refused");
    EXPECT_FALSE(cache.find("https://reg", pull, now));
    EXPECT_EQ(cache.size(), 1u);
    EXPECT_EQ(oras::auth::catalog_scope().str(), "registry:catalog:*");
}
