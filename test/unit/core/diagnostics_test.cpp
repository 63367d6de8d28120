#include <oras/diagnostics.hpp>

#include <gtest/gtest.h>

namespace {

TEST(redact_url, drops_userinfo_and_secret_parameters) {
    EXPECT_EQ(oras::redact_url("https://user:pass@r.example:5000/v2/?n=1"),
              "https://r.example:5000/v2/?n=1");
    EXPECT_EQ(oras::redact_url("https://r.example/token?service=s&access_token=abc&scope=x"),
              "https://r.example/token?service=s&access_token=REDACTED&scope=x");
    EXPECT_EQ(oras::redact_url("https://cdn.example/blob?X-Amz-Signature=deadbeef&X-Amz-"
                               "Credential=AKIA&Expires=1"),
              "https://cdn.example/blob?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&"
              "Expires=1");
    EXPECT_EQ(oras::redact_url("https://r.example/v2/x/blobs/uploads/u?_state=abc&digest=sha256:1"),
              "https://r.example/v2/x/blobs/uploads/u?_state=abc&digest=sha256:1");
    EXPECT_EQ(oras::redact_url("/v2/x/blobs/uploads/u?sig=1"),
              "/v2/x/blobs/uploads/u?sig=REDACTED");
    // Found by fuzzing: an empty query before a fragment crashed Boost.URL 1.81's iterator.
    EXPECT_EQ(oras::redact_url("ample/blob?#sig=1"), "ample/blob?#sig=1");
    EXPECT_EQ(oras::redact_url("https://r.example/x?"), "https://r.example/x?");
}

TEST(redact_url, unparsable_text_still_loses_userinfo) {
    EXPECT_EQ(oras::redact_url("https://user:p a s s@host/x y"), "https://host/x y");
    EXPECT_EQ(oras::redact_url("not a url"), "not a url");
    // Its query cannot be read parameter by parameter: all of it goes.
    EXPECT_EQ(oras::redact_url("https://cdn.example/b lob?X-Amz-Signature=s3|cret&x=1#f"),
              "https://cdn.example/b lob?REDACTED#f");
    EXPECT_EQ(oras::redact_url("b lob?sig=s3|cret"), "b lob?REDACTED");
}

TEST(display, neutralises_terminal_control) {
    EXPECT_EQ(oras::display("ok \x1b[2J\r\n\x7f"), "ok ?[2J???");
    EXPECT_EQ(oras::display("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(oras::display("\xc2\x9b"
                            "31m"),
              "??31m");  // C1 CSI
    EXPECT_EQ(oras::display("\xff\xfe"), "??");
    EXPECT_EQ(oras::display("\xe0\x80\xaf"), "???");  // overlong '/'
    EXPECT_EQ(oras::display("\xed\xa0\x80"), "???");  // a UTF-16 surrogate
    EXPECT_EQ(oras::display(std::string(600, 'a'), 10), std::string(10, 'a') + "...");
}

TEST(registry_errors, parses_the_spec_body) {
    auto r = oras::parse_registry_errors(
        R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"v1"}},)"
        R"({"code":"DENIED","message":null}]})");
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[0].code, "MANIFEST_UNKNOWN");
    EXPECT_EQ((*r)[0].message, "manifest unknown");
    EXPECT_EQ((*r)[0].detail, R"({"Tag":"v1"})");
    EXPECT_EQ((*r)[1].code, "DENIED");
    EXPECT_EQ((*r)[1].message, "");
}

TEST(registry_errors, refuses_other_bodies) {
    for (const char* body :
         {"<html><body>502 Bad Gateway</body></html>", "404 page not found\n", "",
          R"({"error":"x"})", R"({"errors":{}})", R"({"errors":[{"code":5}]})"}) {
        auto r = oras::parse_registry_errors(body);
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error(), oras::errc::invalid_response) << body;
    }
}

TEST(diagnostics, summary_is_one_safe_line) {
    oras::diagnostics d;
    d.method = "PUT";
    d.status = 400;
    d.url = "https://r/v2/x";
    d.errors = {{"DIGEST_INVALID", "bad\ndigest\x1b[0m", ""}};
    EXPECT_EQ(d.summary(), "PUT https://r/v2/x -> 400: DIGEST_INVALID: bad?digest?[0m");
    EXPECT_TRUE(oras::diagnostics{}.empty());
}

}  // namespace
