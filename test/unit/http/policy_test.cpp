#include <oras/diagnostics.hpp>

#include "http/policy.hpp"

#include <gtest/gtest.h>
#include <boost/url/parse.hpp>

namespace {

using namespace oras::http::detail;
using namespace std::chrono_literals;

boost::urls::url url(std::string_view s) {
    return boost::urls::url(boost::urls::parse_uri(s).value());
}

origin o(std::string_view s) {
    return origin_of(url(s)).value();
}

TEST(http_origin, from_urls) {
    EXPECT_EQ(o("https://R.Example/v2/"), (origin{"https", "r.example", 443}));
    EXPECT_EQ(o("http://127.0.0.1:5000/v2/"), (origin{"http", "127.0.0.1", 5000}));
    EXPECT_EQ(o("http://[::1]:5000/"), (origin{"http", "::1", 5000}));
    EXPECT_EQ(o("HTTPS://r.example:8443"), (origin{"https", "r.example", 8443}));
    EXPECT_EQ(o("http://[::1]:5000/").authority(), "[::1]:5000");
    EXPECT_EQ(o("https://r.example:443/").authority(), "r.example");
    EXPECT_FALSE(origin_of(url("ftp://r.example/")));
    EXPECT_FALSE(origin_of(url("file:///etc/passwd")));
    // Percent-escapes in a host would reach Host, request lines and CONNECT decoded.
    EXPECT_FALSE(origin_of(url("http://a%0d%0aX%3a%20y/")));
    EXPECT_FALSE(origin_of(url("http://a%00b/")));
    EXPECT_FALSE(origin_of(url("http://[v1.x]/")));
    EXPECT_EQ(o("http://under_score.example/").host, "under_score.example");
}

TEST(http_target, origin_form) {
    EXPECT_EQ(request_target(url("https://r/v2/")), "/v2/");
    EXPECT_EQ(request_target(url("https://r")), "/");
    EXPECT_EQ(request_target(url("https://r/v2/x/blobs/uploads/u?_state=a%2Bb&digest=sha256:1")),
              "/v2/x/blobs/uploads/u?_state=a%2Bb&digest=sha256:1");
}

TEST(http_location, resolution) {
    const auto base = url("https://r.example:5000/v2/app/blobs/uploads/");
    const std::pair<std::string, std::string> cases[] = {
        {"https://other.example/upload?x=1", "https://other.example/upload?x=1"},
        {"/v2/app/blobs/uploads/uuid?_state=abc%3D%3D",
         "https://r.example:5000/v2/app/blobs/uploads/uuid?_state=abc%3D%3D"},
        {"uuid?_state=s", "https://r.example:5000/v2/app/blobs/uploads/uuid?_state=s"},
        {"//cdn.example/blob", "https://cdn.example/blob"},
        {"../manifests/x", "https://r.example:5000/v2/app/blobs/manifests/x"},
        {"  /trimmed  ", "https://r.example:5000/trimmed"},
        {"/with#fragment", "https://r.example:5000/with"},
    };
    for (const auto& [loc, want] : cases) {
        auto r = resolve_location(base, loc);
        ASSERT_TRUE(r) << loc << ": " << r.error().message;
        EXPECT_EQ(r->buffer(), want) << loc;
    }
    for (const char* bad : {"", "   ", "ftp://x/y", "javascript:alert(1)", "http://[::1/x",
                            "https://r/\x01", "http://a%0d%0aInjected:%20x/upload"}) {
        auto r = resolve_location(base, bad);
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_EQ(r.error(), oras::errc::invalid_response);
        }
    }
    // A presigned URL that cannot be followed is named without its signature.
    const auto presigned =
        resolve_location(base, "ftp://bucket.example/blob?X-Amz-Signature=s3cr3t&x=1");
    ASSERT_FALSE(presigned);
    EXPECT_EQ(presigned.error().message.find("s3cr3t"), std::string::npos)
        << presigned.error().message;
}

TEST(http_retry_after, seconds_and_dates) {
    const auto now =
        std::chrono::system_clock::from_time_t(784111777);  // Sun, 06 Nov 1994 08:49:37
    EXPECT_EQ(parse_retry_after("120", now), 120s);
    EXPECT_EQ(parse_retry_after(" 0 ", now), 0s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now), 10s);
    EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now), 60s);
    EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:38 1994", now), 1s);
    EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now), 0s);  // past
    EXPECT_GT(*parse_retry_after("99999999999999999999", now), std::chrono::hours(24 * 365));
    for (const char* bad : {"", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:47", "10 s",
                            "Sun, 06 Nov 1994 -1:49:47 GMT", "Sun, 06 Nov 0999 08:49:47 GMT"}) {
        EXPECT_FALSE(parse_retry_after(bad, now)) << bad;
    }
    // Found by fuzzing: years beyond what system_clock holds overflowed. Far past is past,
    // far future is far (capped, never negative).
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 1007 07:28:00 GMT", now), std::nullopt);
    EXPECT_EQ(parse_retry_after("Wed, 21 Oct 1907 07:28:00 GMT", now), 0s);
    EXPECT_GT(*parse_retry_after("Wed, 21 Oct 9999 07:28:00 GMT", now),
              std::chrono::hours(24 * 365 * 200));
}

TEST(http_retry, statuses_and_backoff) {
    for (unsigned s : {408u, 429u, 500u, 502u, 503u, 504u}) {
        EXPECT_TRUE(is_retryable_status(s)) << s;
    }
    for (unsigned s : {200u, 400u, 401u, 403u, 404u, 501u, 505u}) {
        EXPECT_FALSE(is_retryable_status(s)) << s;
    }
    oras::http::retry_options r;
    r.base_delay = 100ms;
    r.max_delay = 1000ms;
    EXPECT_EQ(backoff_delay(0, r, 0.0), 50ms);
    EXPECT_EQ(backoff_delay(0, r, 0.999), 99ms);
    EXPECT_EQ(backoff_delay(1, r, 0.0), 100ms);
    EXPECT_EQ(backoff_delay(3, r, 0.0), 400ms);
    EXPECT_EQ(backoff_delay(4, r, 0.0), 500ms);  // capped at max, then halved
    EXPECT_EQ(backoff_delay(40, r, 1.0), 1000ms);
}

TEST(http_redirect, decisions) {
    const auto a = o("https://r.example/v2/");
    const auto b = o("https://cdn.example/blob");
    // Same origin keeps credentials; another origin drops them.
    auto same = plan_redirect(307, "GET", a, a, true).value();
    ASSERT_TRUE(same);
    EXPECT_FALSE(same->drop_credentials);
    auto cross = plan_redirect(302, "GET", a, b, true).value();
    ASSERT_TRUE(cross);
    EXPECT_TRUE(cross->drop_credentials);
    EXPECT_EQ(cross->method, "GET");
    // A different port or scheme is a different origin.
    EXPECT_TRUE(
        plan_redirect(307, "GET", a, o("https://r.example:8443/"), true).value()->drop_credentials);
    // 303 and POST-after-301/302 become GET without a body; HEAD stays HEAD.
    auto see_other = plan_redirect(303, "PUT", a, a, true).value();
    EXPECT_EQ(see_other->method, "GET");
    EXPECT_FALSE(see_other->keep_body);
    EXPECT_EQ(plan_redirect(301, "POST", a, a, true).value()->method, "GET");
    // A PUT or DELETE turned into GET would report a push or delete that never happened.
    EXPECT_FALSE(plan_redirect(302, "PUT", a, a, true).value());
    EXPECT_FALSE(plan_redirect(301, "DELETE", a, a, true).value());
    EXPECT_FALSE(plan_redirect(302, "PATCH", a, a, true).value());
    EXPECT_EQ(plan_redirect(302, "HEAD", a, b, true).value()->method, "HEAD");
    // 307/308 keep method and body, but only a replayable body.
    auto keep = plan_redirect(308, "PUT", a, a, true).value();
    EXPECT_EQ(keep->method, "PUT");
    EXPECT_TRUE(keep->keep_body);
    EXPECT_FALSE(plan_redirect(307, "PATCH", a, a, false).value());
    // Not redirects.
    EXPECT_FALSE(plan_redirect(200, "GET", a, a, true).value());
    EXPECT_FALSE(plan_redirect(304, "GET", a, a, true).value());
    // Downgrade refused; http to https is fine.
    auto down = plan_redirect(302, "GET", a, o("http://r.example/"), true);
    ASSERT_FALSE(down);
    EXPECT_NE(down.error().message.find("downgrade"), std::string::npos);
    EXPECT_TRUE(plan_redirect(302, "GET", o("http://r.example/"), a, true).value());
}

TEST(http_dial_override, host_and_port_match) {
    const std::vector<oras::http::address_override> overrides{
        {"Reg.Example", 443, "10.0.0.5", 0},
        {"reg.example", 5000, "127.0.0.1", 5001},
        {"[::1]", 8443, "[fe80::1]", 0},
    };
    using dial = std::pair<std::string, std::uint16_t>;
    EXPECT_EQ(dial_override(overrides, o("https://reg.example/v2/")), (dial{"10.0.0.5", 443}));
    EXPECT_EQ(dial_override(overrides, o("http://reg.example:5000/")), (dial{"127.0.0.1", 5001}));
    EXPECT_EQ(dial_override(overrides, o("https://[::1]:8443/")), (dial{"fe80::1", 8443}));
    // Another port of the same host, or another host, resolves as usual.
    EXPECT_EQ(dial_override(overrides, o("http://reg.example/")), std::nullopt);
    EXPECT_EQ(dial_override(overrides, o("https://other.example/")), std::nullopt);
    EXPECT_EQ(dial_override({}, o("https://reg.example/")), std::nullopt);
    // The last rule for a host and port wins, as repeated --resolve flags in oras.
    const std::vector<oras::http::address_override> twice{{"reg.example", 443, "10.0.0.5", 0},
                                                          {"reg.example", 443, "10.0.0.6", 0}};
    EXPECT_EQ(dial_override(twice, o("https://reg.example/")), (dial{"10.0.0.6", 443}));
}

TEST(http_plain, loopback_default) {
    for (const char* h : {"localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]"}) {
        EXPECT_TRUE(is_loopback_host(h)) << h;
    }
    for (const char* h : {"r.example", "10.0.0.1", "::2", "localhost.example", "128.0.0.1"}) {
        EXPECT_FALSE(is_loopback_host(h)) << h;
    }
}

TEST(http_no_proxy, matching) {
    struct c {
        const char* list;
        const char* host;
        std::uint16_t port;
        bool match;
    };
    const c cases[] = {
        {"*", "anything.example", 443, true},
        {"example.com", "example.com", 443, true},
        {"example.com", "r.example.com", 443, true},
        {"example.com", "badexample.com", 443, false},
        {".example.com", "example.com", 443, false},
        {".example.com", "r.example.com", 443, true},
        {"*.example.com", "r.example.com", 443, true},
        {"*.example.com", "example.com", 443, false},
        {"Example.COM", "r.example.com", 443, true},
        {"example.com:5000", "example.com", 5000, true},
        {"example.com:5000", "example.com", 443, false},
        {"10.0.0.0/8", "10.1.2.3", 443, true},
        {"10.0.0.0/8", "11.1.2.3", 443, false},
        {"10.0.0.0/8", "ten.example", 443, false},
        {"192.168.1.10", "192.168.1.10", 80, true},
        {"192.168.1.10", "192.168.1.11", 80, false},
        {"::1", "::1", 80, true},
        {"[::1]:5000", "::1", 5000, true},
        {"fd00::/8", "fd12::1", 443, true},
        {"fd00::/8", "fe80::1", 443, false},
        {" a.example , b.example ", "b.example", 443, true},
        {"", "b.example", 443, false},
        {",,,", "b.example", 443, false},
        {"10.0.0.0/99", "10.0.0.1", 443, false},
        {":8080", "b.example", 8080, false},
        {"[]", "b.example", 443, false},
        {"*.", "b.example", 443, false},
    };
    for (const auto& x : cases) {
        EXPECT_EQ(no_proxy_matches(x.list, x.host, x.port), x.match)
            << "NO_PROXY=" << x.list << " host=" << x.host << ":" << x.port;
    }
}

TEST(http_proxy, selection) {
    proxy_settings s;
    s.https_proxy = "proxy.example:3128";
    s.http_proxy = "http://user:pw@plain-proxy.example";
    s.no_proxy = "internal.example";
    auto p = select_proxy(o("https://r.example/"), s).value();
    ASSERT_TRUE(p);
    EXPECT_EQ(p->buffer(), "http://proxy.example:3128");
    auto q = select_proxy(o("http://r.example/"), s).value();
    ASSERT_TRUE(q);
    EXPECT_EQ(q->port_number(), 80);
    EXPECT_FALSE(select_proxy(o("https://internal.example/"), s).value());
    // Explicit settings may proxy loopback (tests do); environment settings never do.
    EXPECT_TRUE(select_proxy(o("https://127.0.0.1:5000/"), s).value());
    s.from_environment = true;
    EXPECT_FALSE(select_proxy(o("https://127.0.0.1:5000/"), s).value());
    EXPECT_FALSE(select_proxy(o("https://localhost/"), s).value());
    s.https_proxy = "socks5://proxy.example:1080";
    EXPECT_FALSE(select_proxy(o("https://r.example/"), s));
}

TEST(http_proxy, environment) {
    ::setenv("HTTPS_PROXY", "", 1);
    ::setenv("https_proxy", "http://lower.example:8080", 1);
    ::setenv("NO_PROXY", "a.example", 1);
    oras::http::proxy_options opts;
    auto s = proxy_settings::from(opts);
    EXPECT_EQ(s.https_proxy, "http://lower.example:8080");
    EXPECT_EQ(s.no_proxy, "a.example");
    EXPECT_TRUE(s.from_environment);
    opts.from_environment = false;
    EXPECT_EQ(proxy_settings::from(opts).https_proxy, "");
    ::unsetenv("https_proxy");
    ::unsetenv("HTTPS_PROXY");
    ::unsetenv("NO_PROXY");
}

TEST(http_fields, validation_and_redaction) {
    EXPECT_TRUE(validate_field("X-Custom", "value with spaces"));
    EXPECT_FALSE(validate_field("Bad Name", "v"));
    EXPECT_FALSE(validate_field("", "v"));
    EXPECT_FALSE(validate_field("X", "a\r\nInjected: 1"));
    EXPECT_FALSE(validate_field("X", std::string_view("a\0b", 3)));
    oras::http::fields f;
    f.add("Authorization", "Bearer secret");
    f.add("proxy-authorization", "Basic c2VjcmV0");
    f.add("Cookie", "session=1");
    f.add("Accept", "application/json");
    auto r = redact_fields(f);
    EXPECT_EQ(r.get("authorization"), "REDACTED");
    EXPECT_EQ(r.get("Proxy-Authorization"), "REDACTED");
    EXPECT_EQ(r.get("cookie"), "REDACTED");
    EXPECT_EQ(r.get("accept"), "application/json");
    // A redirect's signed URL, as the request line to it is.
    oras::http::fields redirect;
    redirect.add("Location", "https://bucket.example/blob?X-Amz-Signature=abc123&X-Amz-Expires=60");
    redirect.add("Content-Location", "https://u:pw@cdn.example/x?sig=abc123");
    r = redact_fields(redirect);
    EXPECT_EQ(r.get("location"), oras::redact_url(redirect.get("location")));
    EXPECT_EQ(r.get("location").find("abc123"), std::string_view::npos) << r.get("location");
    EXPECT_NE(r.get("location").find("bucket.example/blob"), std::string_view::npos);
    EXPECT_EQ(r.get("content-location").find("abc123"), std::string_view::npos);
    EXPECT_EQ(r.get("content-location").find("pw"), std::string_view::npos);
}

TEST(http_fields, case_insensitive_multi_valued) {
    oras::http::fields f;
    f.add("Link", "<a>; rel=next");
    f.add("link", "<b>; rel=prev");
    f.add("Content-Type", "x/y");
    EXPECT_EQ(f.get_all("LINK").size(), 2u);
    EXPECT_EQ(f.get("content-type"), "x/y");
    f.set("LINK", "<c>");
    EXPECT_EQ(f.get_all("link").size(), 1u);
    f.erase("content-TYPE");
    EXPECT_FALSE(f.contains("Content-Type"));
    EXPECT_EQ(f.get("missing"), "");
}

}  // namespace
