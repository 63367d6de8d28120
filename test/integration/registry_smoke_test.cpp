// Each registry mode comes up and enforces what it should, checked with plain HTTP requests.
#include <oras/digest.hpp>
#include <oras/test/http.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/token_issuer.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace {

using namespace oras::test;

constexpr std::string_view api_version_header = "Docker-Distribution-API-Version";

// Result of a monolithic blob upload (POST, then PUT ?digest=).
struct upload_result {
    unsigned post_status = 0;
    unsigned put_status = 0;
    std::string location;       // as answered to POST
    std::string blob_location;  // as answered to PUT
    http_response post, put;
};

request_options with_auth(const registry_process& reg, std::string authorization = {}) {
    request_options o;
    o.ca_file = reg.ca_file();
    if (!authorization.empty())
        o.headers.emplace_back("Authorization", std::move(authorization));
    return o;
}

upload_result upload_blob(const registry_process& reg, const std::string& repo,
                          const std::string& data, const request_options& auth) {
    upload_result out;
    out.post = http_request("POST", reg.base_url() + "/v2/" + repo + "/blobs/uploads/", auth);
    out.post_status = out.post.status;
    if (out.post.status != 202)
        return out;
    out.location = out.post.header("Location");
    const std::string url = append_query(resolve_url(reg.base_url() + "/v2/", out.location),
                                         "digest", oras::digest::of(data).str());
    request_options put = auth;
    put.body = data;
    put.content_type = "application/octet-stream";
    out.put = http_request("PUT", url, put);
    out.put_status = out.put.status;
    out.blob_location = out.put.header("Location");
    return out;
}

std::string blob_url(const registry_process& reg, const std::string& repo,
                     const std::string& data) {
    return reg.base_url() + "/v2/" + repo + "/blobs/" + oras::digest::of(data).str();
}

http_response get_token(const token_issuer& issuer, const std::string& scope_query,
                        const std::string& authorization = {}) {
    request_options o;
    if (!authorization.empty())
        o.headers.emplace_back("Authorization", authorization);
    return http_request("GET", issuer.realm() + "?service=" + issuer.service() + scope_query, o);
}

// The "token" member of a token response (tiny extraction; the tests own the format).
std::string token_field(const std::string& json, const std::string& field = "token") {
    const std::string key = "\"" + field + "\":\"";
    const auto start = json.find(key);
    if (start == std::string::npos)
        return {};
    const auto end = json.find('"', start + key.size());
    return json.substr(start + key.size(), end - start - key.size());
}

// --- anonymous ---------------------------------------------------------------------------

class anonymous_registry : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { reg_ = std::make_unique<registry_process>(); }
    static void TearDownTestSuite() { reg_.reset(); }
    static std::unique_ptr<registry_process> reg_;
};
std::unique_ptr<registry_process> anonymous_registry::reg_;

TEST_F(anonymous_registry, ping_answers_200_with_api_version) {
    const auto r = http_request("GET", reg_->base_url() + "/v2/");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.header(api_version_header), "registry/2.0");
    EXPECT_EQ(r.header("WWW-Authenticate"), "");
}

TEST_F(anonymous_registry, host_and_urls_are_consistent) {
    EXPECT_EQ(reg_->host(), "127.0.0.1:" + std::to_string(reg_->port()));
    EXPECT_EQ(reg_->base_url(), "http://" + reg_->host());
    EXPECT_EQ(reg_->ca_file(), "");
    EXPECT_EQ(reg_->issuer(), nullptr);
    EXPECT_TRUE(reg_->running());
}

TEST_F(anonymous_registry, blob_upload_round_trips) {
    const std::string data = "hello from oras-cpp integration tests\n";
    const auto up = upload_blob(*reg_, "smoke", data, {});
    ASSERT_EQ(up.post_status, 202u) << up.post.body;
    EXPECT_FALSE(up.location.empty());
    EXPECT_NE(up.location.find("_state="), std::string::npos) << up.location;
    EXPECT_TRUE(up.location.starts_with("http://")) << "absolute by default: " << up.location;
    ASSERT_EQ(up.put_status, 201u) << up.put.body;
    EXPECT_EQ(up.put.header("Docker-Content-Digest"), oras::digest::of(data).str());

    const auto got = http_request("GET", blob_url(*reg_, "smoke", data));
    ASSERT_EQ(got.status, 200u);
    EXPECT_EQ(got.body, data);

    const auto head = http_request("HEAD", blob_url(*reg_, "smoke", data));
    EXPECT_EQ(head.status, 200u);
    EXPECT_EQ(head.header("Content-Length"), std::to_string(data.size()));
    EXPECT_EQ(head.body, "");
}

TEST_F(anonymous_registry, missing_blob_is_404) {
    const auto r = http_request("GET", blob_url(*reg_, "smoke", "never uploaded"));
    EXPECT_EQ(r.status, 404u);
}

TEST(relative_urls_registry, upload_location_is_relative) {
    registry_process reg({.relative_urls = true});
    const std::string data = "relative";
    const auto up = upload_blob(reg, "smoke/relative", data, {});
    ASSERT_EQ(up.post_status, 202u);
    EXPECT_TRUE(up.location.starts_with("/v2/smoke/relative/blobs/uploads/")) << up.location;
    ASSERT_EQ(up.put_status, 201u) << up.put.body;
    EXPECT_EQ(http_request("GET", blob_url(reg, "smoke/relative", data)).body, data);
}

// --- htpasswd basic auth -----------------------------------------------------------------

class basic_auth_registry : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        reg_ = std::make_unique<registry_process>(registry_options{.auth = auth_mode::basic});
    }
    static void TearDownTestSuite() { reg_.reset(); }
    static std::unique_ptr<registry_process> reg_;
};
std::unique_ptr<registry_process> basic_auth_registry::reg_;

TEST_F(basic_auth_registry, unauthenticated_ping_is_challenged) {
    const auto r = http_request("GET", reg_->base_url() + "/v2/");
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(r.header("WWW-Authenticate"), "Basic realm=\"oras-test-registry\"");
    EXPECT_EQ(r.header(api_version_header), "registry/2.0");
}

TEST_F(basic_auth_registry, right_credentials_are_accepted) {
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/",
                           with_auth(*reg_, basic_auth("alice", "alice-secret")))
                  .status,
              200u);
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/",
                           with_auth(*reg_, basic_auth("reader", "reader-secret")))
                  .status,
              200u);
}

TEST_F(basic_auth_registry, wrong_password_or_unknown_user_is_refused) {
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/",
                           with_auth(*reg_, basic_auth("alice", "wrong")))
                  .status,
              401u);
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/",
                           with_auth(*reg_, basic_auth("mallory", "alice-secret")))
                  .status,
              401u);
}

TEST_F(basic_auth_registry, upload_needs_credentials) {
    const std::string data = "basic auth blob";
    EXPECT_EQ(upload_blob(*reg_, "smoke/basic", data, {}).post_status, 401u);
    const auto up = upload_blob(*reg_, "smoke/basic", data,
                                with_auth(*reg_, basic_auth("alice", "alice-secret")));
    ASSERT_EQ(up.post_status, 202u);
    EXPECT_EQ(up.put_status, 201u) << up.put.body;
}

// --- bearer tokens -----------------------------------------------------------------------

class token_auth_registry : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        reg_ = std::make_unique<registry_process>(registry_options{.auth = auth_mode::token});
    }
    static void TearDownTestSuite() { reg_.reset(); }
    static std::unique_ptr<registry_process> reg_;

    static token_issuer& issuer() { return *reg_->issuer(); }

    static std::string token_for(const std::string& user, const std::string& password,
                                 const std::string& scope) {
        const auto r = get_token(issuer(), "&scope=" + scope, basic_auth(user, password));
        EXPECT_EQ(r.status, 200u) << r.body;
        return token_field(r.body);
    }
};
std::unique_ptr<registry_process> token_auth_registry::reg_;

TEST_F(token_auth_registry, unauthenticated_ping_is_challenged_with_bearer) {
    ASSERT_NE(reg_->issuer(), nullptr);
    const auto r = http_request("GET", reg_->base_url() + "/v2/");
    EXPECT_EQ(r.status, 401u);
    EXPECT_EQ(r.header("WWW-Authenticate"),
              "Bearer realm=\"" + issuer().realm() + "\",service=\"oras-test-registry\"");
    EXPECT_EQ(issuer().realm(), "http://127.0.0.1:" + std::to_string(issuer().port()) + "/token");
}

TEST_F(token_auth_registry, issued_token_is_accepted_for_ping_and_push) {
    const std::string token =
        token_for("alice", "alice-secret", "repository:smoke/token:pull,push");
    ASSERT_FALSE(token.empty());
    const auto auth = with_auth(*reg_, bearer_auth(token));
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/", auth).status, 200u);

    const std::string data = "pushed with a bearer token";
    const auto up = upload_blob(*reg_, "smoke/token", data, auth);
    ASSERT_EQ(up.post_status, 202u) << up.post.body;
    ASSERT_EQ(up.put_status, 201u) << up.put.body;
    const auto got = http_request("GET", blob_url(*reg_, "smoke/token", data), auth);
    EXPECT_EQ(got.status, 200u);
    EXPECT_EQ(got.body, data);
}

TEST_F(token_auth_registry, issued_token_carries_granted_access) {
    issuer().clear_records();
    const auto r =
        get_token(issuer(), "&scope=repository:a/b:pull,push,delete&scope=registry:catalog:*",
                  basic_auth("alice", "alice-secret"));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_NE(r.body.find("\"access_token\""), std::string::npos);
    EXPECT_NE(r.body.find("\"expires_in\":300"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("\"issued_at\""), std::string::npos);

    const issued_token t = issuer().last_issued();
    EXPECT_EQ(t.token, token_field(r.body));
    EXPECT_EQ(t.subject, "alice");
    ASSERT_EQ(t.access.size(), 2u);
    EXPECT_EQ(t.access[0], (access_entry{"repository", "a/b", {"pull", "push", "delete"}}));
    EXPECT_EQ(t.access[1], (access_entry{"registry", "catalog", {"*"}}));

    const auto [header, payload] = decode_jwt(t.token);
    EXPECT_NE(header.find("\"alg\":\"RS256\""), std::string::npos) << header;
    EXPECT_NE(header.find("\"x5c\""), std::string::npos) << header;
    EXPECT_NE(payload.find("\"aud\":\"oras-test-registry\""), std::string::npos) << payload;
    EXPECT_NE(payload.find("\"iss\":\"oras-test-issuer\""), std::string::npos) << payload;

    EXPECT_EQ(issuer().request_count("/token"), 1u);
    EXPECT_EQ(issuer().request_count(), 1u);
    EXPECT_EQ(issuer().token_count(), 1u);
    const auto reqs = issuer().requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].basic_user, "alice");
    EXPECT_EQ(reqs[0].scopes,
              (std::vector<std::string>{"repository:a/b:pull,push,delete", "registry:catalog:*"}));
    EXPECT_EQ(reqs[0].status, 200u);
}

TEST_F(token_auth_registry, pull_only_token_cannot_push) {
    const std::string token =
        token_for("reader", "reader-secret", "repository:smoke/token:pull,push");
    ASSERT_FALSE(token.empty());
    EXPECT_EQ(issuer().last_issued().access,
              (std::vector<access_entry>{{"repository", "smoke/token", {"pull"}}}));
    const auto r = http_request("POST", reg_->base_url() + "/v2/smoke/token/blobs/uploads/",
                                with_auth(*reg_, bearer_auth(token)));
    EXPECT_EQ(r.status, 401u);
    EXPECT_NE(r.header("WWW-Authenticate").find("error=\"insufficient_scope\""), std::string::npos)
        << r.header("WWW-Authenticate");
}

TEST_F(token_auth_registry, tampered_signature_is_refused) {
    std::string token = token_for("alice", "alice-secret", "repository:smoke/token:pull,push");
    ASSERT_GT(token.size(), 10u);
    // Change a character in the middle of the signature (the last one may carry unused bits).
    char& c = token[token.size() - 10];
    c = c == 'A' ? 'B' : 'A';
    const auto r =
        http_request("GET", reg_->base_url() + "/v2/", with_auth(*reg_, bearer_auth(token)));
    EXPECT_EQ(r.status, 401u);
}

TEST_F(token_auth_registry, minted_token_is_accepted_and_expired_one_refused) {
    const std::vector<access_entry> access{{"repository", "smoke/token", {"pull"}}};
    const std::string valid = issuer().mint("alice", access);
    EXPECT_EQ(
        http_request("GET", reg_->base_url() + "/v2/", with_auth(*reg_, bearer_auth(valid))).status,
        200u);
    const std::string expired = issuer().mint("alice", access, std::chrono::hours(-1));
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/", with_auth(*reg_, bearer_auth(expired)))
                  .status,
              401u);
}

TEST_F(token_auth_registry, token_for_another_audience_is_refused) {
    mint_options m;
    m.audience = "some-other-registry";
    const std::string token = issuer().mint(m);
    EXPECT_EQ(
        http_request("GET", reg_->base_url() + "/v2/", with_auth(*reg_, bearer_auth(token))).status,
        401u);
}

TEST_F(token_auth_registry, issuer_refuses_bad_credentials_and_anonymous) {
    EXPECT_EQ(get_token(issuer(), "&scope=repository:x:pull", basic_auth("alice", "wrong")).status,
              401u);
    EXPECT_EQ(get_token(issuer(), "&scope=repository:x:pull", basic_auth("nobody", "x")).status,
              401u);
    const auto anon = get_token(issuer(), "&scope=repository:x:pull");
    EXPECT_EQ(anon.status, 401u);
    EXPECT_NE(anon.header("WWW-Authenticate"), "");
}

TEST_F(token_auth_registry, issuer_rejects_wrong_service) {
    request_options o;
    o.headers.emplace_back("Authorization", basic_auth("alice", "alice-secret"));
    EXPECT_EQ(
        http_request("GET", issuer().realm() + "?service=elsewhere&scope=repository:x:pull", o)
            .status,
        400u);
    EXPECT_EQ(http_request("GET", issuer().realm() + "?scope=repository:x:pull", o).status, 400u);
}

TEST_F(token_auth_registry, password_grant_returns_refresh_token_and_refresh_grant_works) {
    request_options form;
    form.content_type = "application/x-www-form-urlencoded";
    form.body =
        "grant_type=password&username=alice&password=alice-secret&service=oras-test-registry"
        "&scope=repository%3Asmoke%2Ftoken%3Apull+repository%3Aother%3Apull%2Cpush&client_id=oras-"
        "cpp";
    const auto r = http_request("POST", issuer().realm(), form);
    ASSERT_EQ(r.status, 200u) << r.body;
    const std::string refresh = token_field(r.body, "refresh_token");
    ASSERT_FALSE(refresh.empty()) << r.body;
    EXPECT_FALSE(token_field(r.body, "access_token").empty());
    const auto first = issuer().last_issued();
    EXPECT_EQ(first.client_id, "oras-cpp");
    EXPECT_EQ(first.access, (std::vector<access_entry>{{"repository", "smoke/token", {"pull"}},
                                                       {"repository", "other", {"pull", "push"}}}));

    form.body = "grant_type=refresh_token&refresh_token=" + refresh +
                "&service=oras-test-registry&scope=repository%3Asmoke%2Ftoken%3Apull%2Cpush&client_id=oras-cpp";
    const auto r2 = http_request("POST", issuer().realm(), form);
    ASSERT_EQ(r2.status, 200u) << r2.body;
    const std::string access_token = token_field(r2.body, "access_token");
    EXPECT_EQ(issuer().last_issued().subject, "alice");
    EXPECT_EQ(
        http_request("GET", reg_->base_url() + "/v2/", with_auth(*reg_, bearer_auth(access_token)))
            .status,
        200u);

    form.body = "grant_type=refresh_token&refresh_token=not-a-real-one&service=oras-test-registry";
    EXPECT_EQ(http_request("POST", issuer().realm(), form).status, 401u);
    form.body = "grant_type=password&username=alice&password=nope&service=oras-test-registry";
    EXPECT_EQ(http_request("POST", issuer().realm(), form).status, 401u);
    form.body = "grant_type=client_credentials&service=oras-test-registry";
    EXPECT_EQ(http_request("POST", issuer().realm(), form).status, 400u);
}

TEST(token_anonymous_pull, anonymous_callers_get_pull_only) {
    registry_process reg({.auth = auth_mode::token, .anonymous_pull = true});
    const auto r = get_token(*reg.issuer(), "&scope=repository:public/x:pull,push");
    ASSERT_EQ(r.status, 200u) << r.body;
    const auto t = reg.issuer()->last_issued();
    EXPECT_EQ(t.subject, "");
    EXPECT_EQ(t.access, (std::vector<access_entry>{{"repository", "public/x", {"pull"}}}));
    const auto auth = with_auth(reg, bearer_auth(token_field(r.body)));
    EXPECT_EQ(http_request("GET", reg.base_url() + "/v2/public/x/tags/list", auth).status, 404u)
        << "authorized (repository unknown)";
    EXPECT_EQ(http_request("POST", reg.base_url() + "/v2/public/x/blobs/uploads/", auth).status,
              401u);
}

TEST(token_lifetime, expires_in_follows_option) {
    registry_process reg({.auth = auth_mode::token, .token_lifetime = std::chrono::seconds(42)});
    const auto r =
        get_token(*reg.issuer(), "&scope=repository:x:pull", basic_auth("alice", "alice-secret"));
    ASSERT_EQ(r.status, 200u);
    EXPECT_NE(r.body.find("\"expires_in\":42"), std::string::npos) << r.body;
}

// --- TLS ---------------------------------------------------------------------------------

class tls_registry : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        reg_ = std::make_unique<registry_process>(registry_options{.tls = true});
    }
    static void TearDownTestSuite() { reg_.reset(); }
    static std::unique_ptr<registry_process> reg_;
};
std::unique_ptr<registry_process> tls_registry::reg_;

TEST_F(tls_registry, https_ping_with_test_ca_answers_200) {
    EXPECT_TRUE(reg_->base_url().starts_with("https://127.0.0.1:")) << reg_->base_url();
    ASSERT_FALSE(reg_->ca_file().empty());
    const auto r = http_request("GET", reg_->base_url() + "/v2/", with_auth(*reg_));
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.header(api_version_header), "registry/2.0");
}

TEST_F(tls_registry, certificate_also_names_localhost) {
    const auto r = http_request("GET", reg_->localhost_url() + "/v2/", with_auth(*reg_));
    EXPECT_EQ(r.status, 200u);
}

TEST_F(tls_registry, without_the_ca_verification_fails) {
    try {
        http_request("GET", reg_->base_url() + "/v2/");
        ADD_FAILURE() << "the test CA is not in the system trust store: verification must fail";
    } catch (const std::system_error& e) {
        EXPECT_NE(std::string(e.what()).find("certificate verify failed"), std::string::npos)
            << e.what();
    }
    request_options insecure;
    insecure.insecure = true;
    EXPECT_EQ(http_request("GET", reg_->base_url() + "/v2/", insecure).status, 200u);
}

TEST_F(tls_registry, plain_http_to_the_tls_port_gets_no_registry_answer) {
    // Go answers plain HTTP on a TLS port with a 400 of its own, without registry headers.
    const auto r = http_request("GET", "http://" + reg_->host() + "/v2/");
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(r.header(api_version_header), "");
}

TEST(tls_basic_registry, enforces_credentials) {
    registry_process reg({.auth = auth_mode::basic, .tls = true});
    const auto anon = http_request("GET", reg.base_url() + "/v2/", with_auth(reg));
    EXPECT_EQ(anon.status, 401u);
    EXPECT_TRUE(anon.header("WWW-Authenticate").starts_with("Basic realm="));
    EXPECT_EQ(http_request("GET", reg.base_url() + "/v2/",
                           with_auth(reg, basic_auth("alice", "alice-secret")))
                  .status,
              200u);
}

TEST(tls_token_registry, bearer_flow_works_over_https) {
    registry_process reg({.auth = auth_mode::token, .tls = true});
    const auto challenge = http_request("GET", reg.base_url() + "/v2/", with_auth(reg));
    EXPECT_EQ(challenge.status, 401u);
    EXPECT_TRUE(
        challenge.header("WWW-Authenticate").starts_with("Bearer realm=\"http://127.0.0.1:"));
    const auto r = get_token(*reg.issuer(), "&scope=repository:tls/token:pull,push",
                             basic_auth("alice", "alice-secret"));
    ASSERT_EQ(r.status, 200u);
    const auto auth = with_auth(reg, bearer_auth(token_field(r.body)));
    const auto up = upload_blob(reg, "tls/token", "over tls", auth);
    EXPECT_EQ(up.post_status, 202u);
    EXPECT_EQ(up.put_status, 201u) << up.put.body;
}

}  // namespace
