#include <oras/auth/challenge.hpp>
#include <oras/auth/scope.hpp>

#include "auth/api_root.hpp"

#include <boost/url/parse.hpp>

#include <gtest/gtest.h>

namespace {

using oras::auth::parse_www_authenticate;

TEST(www_authenticate, distribution_bearer) {
    auto r = parse_www_authenticate(
        R"(Bearer realm="https://auth.example/token",service="registry.example",scope="repository:team/app:pull,push")");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    const auto& c = (*r)[0];
    EXPECT_EQ(c.scheme, "bearer");
    EXPECT_EQ(c.param("realm"), "https://auth.example/token");
    auto b = oras::auth::to_bearer(c);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->service, "registry.example");
    ASSERT_EQ(b->scopes.size(), 1u);
    EXPECT_EQ(b->scopes[0], "repository:team/app:pull,push");
}

TEST(www_authenticate, insufficient_scope_with_several_scopes) {
    auto r = parse_www_authenticate(
        R"(Bearer realm="http://127.0.0.1:1/token", service="s", scope="repository:a:pull repository:b:pull,push", error="insufficient_scope")");
    ASSERT_TRUE(r) << r.error().message;
    auto b = oras::auth::to_bearer((*r)[0]).value();
    EXPECT_EQ(b.error, "insufficient_scope");
    EXPECT_EQ(b.scopes, (std::vector<std::string>{"repository:a:pull", "repository:b:pull,push"}));
}

TEST(www_authenticate, basic_and_case_insensitivity) {
    auto r = parse_www_authenticate(R"(BASIC Realm="Registry Realm")");
    ASSERT_TRUE(r);
    EXPECT_EQ((*r)[0].scheme, "basic");
    EXPECT_EQ((*r)[0].param("realm"), "Registry Realm");
}

TEST(www_authenticate, several_challenges_in_one_header) {
    auto r = parse_www_authenticate(
        R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple", Bearer realm="https://a/t,x=y")");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0].scheme, "newauth");
    EXPECT_EQ((*r)[0].param("type"), "1");
    EXPECT_EQ((*r)[0].param("title"), R"(Login to "apps")");
    EXPECT_EQ((*r)[1].scheme, "basic");
    EXPECT_EQ((*r)[1].param("realm"), "simple");
    EXPECT_EQ((*r)[2].param("realm"), "https://a/t,x=y");  // commas and '=' inside quotes
}

TEST(www_authenticate, token68_and_bare_schemes) {
    auto r = parse_www_authenticate("Negotiate dXNlcjpwYXNz==, Basic");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].token68, "dXNlcjpwYXNz==");
    EXPECT_EQ((*r)[1].scheme, "basic");
    EXPECT_TRUE((*r)[1].params.empty());
}

TEST(www_authenticate, whitespace_and_empty_list_elements) {
    auto r = parse_www_authenticate(" ,  Bearer   realm = \"r\" ,, service=s ,");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].param("realm"), "r");
    EXPECT_EQ((*r)[0].param("service"), "s");
}

TEST(www_authenticate, several_fields) {
    auto r = parse_www_authenticate(
        std::vector<std::string_view>{R"(Basic realm="a")", R"(Bearer realm="b")"});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[1].param("realm"), "b");
}

TEST(www_authenticate, malformed_and_hostile_inputs_are_refused) {
    const std::pair<std::string, std::string> cases[] = {
        {"", "no challenge"},
        {"   ", "no challenge"},
        {",,,", "no challenge"},
        {R"(Bearer realm="unterminated)", "unterminated quoted string"},
        {R"(Bearer realm="x\)", "unterminated quoted string"},
        {R"(Bearer realm=,service=s)", "after the scheme"},
        {R"(Bearer realm="a" service="b")", "expects ','"},
        {R"(Bearer realm="a", realm="b")", "repeats parameter"},
        {R"(Bearer realm="a", =b)", "expects an authentication scheme"},
        {"=Bearer", "expects an authentication scheme"},
        {"Bearer\x01realm=x", "control character"},
        {"Bearer realm=\"a\r\nSet-Cookie: x\"", "control character"},
        {"Bearer realm=\"x\"" + std::string(9000, ' '), "longer than 8192"},
        {"Bea\"rer realm=x", "after the scheme"},
    };
    for (const auto& [text, why] : cases) {
        auto r = parse_www_authenticate(text);
        ASSERT_FALSE(r) << "accepted: " << text;
        EXPECT_EQ(r.error(), oras::errc::invalid_response);
        EXPECT_NE(r.error().message.find(why), std::string::npos)
            << text << " -> " << r.error().message;
        EXPECT_EQ(r.error().message.find('\r'), std::string::npos);
    }
}

TEST(www_authenticate, bearer_needs_a_realm) {
    // "realm=" is lexically a token68 (RFC 7235), not a parameter: no realm.
    auto t = parse_www_authenticate("Bearer realm=").value();
    EXPECT_EQ(t[0].token68, "realm=");
    EXPECT_FALSE(oras::auth::to_bearer(t[0]));
    auto r = parse_www_authenticate(R"(Bearer service="s")").value();
    EXPECT_FALSE(oras::auth::to_bearer(r[0]));
    auto basic = parse_www_authenticate(R"(Basic realm="s")").value();
    EXPECT_FALSE(oras::auth::to_bearer(basic[0]));
}

TEST(scope, parse_and_canonical_text) {
    auto s = oras::auth::scope::parse("repository:team/app:push,pull,push");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->type, "repository");
    EXPECT_EQ(s->name, "team/app");
    EXPECT_EQ(s->str(), "repository:team/app:pull,push");
    auto cat = oras::auth::scope::parse("registry:catalog:*").value();
    EXPECT_EQ(cat.str(), "registry:catalog:*");
    auto ported = oras::auth::scope::parse("repository:localhost:5000/app:pull").value();
    EXPECT_EQ(ported.name, "localhost:5000/app");
    for (const char* bad : {"", "repository", "repository:app", ":app:pull", "repository::pull",
                            "repository:app:", "repository:app:pull,,push", "repository:a b:pull",
                            "repo sitory:a:pull"}) {
        EXPECT_FALSE(oras::auth::scope::parse(bad)) << bad;
    }
}

TEST(scope_set, merges_sorts_and_covers) {
    using oras::auth::repository_scope;
    oras::auth::scope_set a;
    a.add(repository_scope("b", {"push"}));
    a.add(repository_scope("a", {"pull"}));
    a.add(repository_scope("b", {"pull"}));
    EXPECT_EQ(a.str(), "repository:a:pull repository:b:pull,push");
    oras::auth::scope_set b{repository_scope("b", {"pull", "push"}),
                            repository_scope("a", {"pull"})};
    EXPECT_EQ(a, b);  // order of construction does not matter
    EXPECT_TRUE(a.covers(oras::auth::scope_set{repository_scope("b", {"push"})}));
    EXPECT_FALSE(a.covers(oras::auth::scope_set{repository_scope("a", {"push"})}));
    EXPECT_FALSE(a.covers(oras::auth::scope_set{repository_scope("c", {"pull"})}));
    oras::auth::scope_set star{repository_scope("a", {"*"})};
    EXPECT_TRUE(star.covers(oras::auth::scope_set{repository_scope("a", {"pull", "delete"})}));
    EXPECT_EQ(a.strings().size(), 2u);
    EXPECT_TRUE(oras::auth::scope_set{}.empty());
}

TEST(api_root, is_v2_on_the_same_origin_and_nothing_else) {
    const auto root = [](std::string_view u) {
        return std::string(
            oras::auth::detail::api_root_url(boost::urls::parse_uri(u).value()).buffer());
    };
    EXPECT_EQ(root("https://r.example:5000/v2/team/app/blobs/uploads/?x=1#f"),
              "https://r.example:5000/v2/");
    EXPECT_EQ(root("http://[::1]:5000"), "http://[::1]:5000/v2/");
    // Credentials in a configured URL never reach a request.
    EXPECT_EQ(root("https://user:secret@r.example/v2/"), "https://r.example/v2/");
}

}  // namespace
