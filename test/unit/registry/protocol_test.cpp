#include "registry/protocol.hpp"

#include <oras/media_type.hpp>
#include <oras/reference.hpp>
#include <oras/registry/connect.hpp>

#include <gtest/gtest.h>
#include <boost/url/parse.hpp>

#include <string>
#include <vector>

namespace {

using namespace oras::registry::detail;
using oras::errc;

boost::urls::url url(std::string_view s) {
    return boost::urls::url(boost::urls::parse_uri(s).value());
}

const std::string hex64 = "6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

oras::digest sha256() {
    return oras::digest::parse("sha256:" + hex64).value();
}

// --- endpoints ---------------------------------------------------------------------------------

TEST(registry_protocol, endpoints) {
    const auto base = url("https://user:pw@R.example:5000/ignored/path?q=1#f");
    const auto d = sha256();
    EXPECT_EQ(ping_url(base).buffer(), "https://R.example:5000/v2/");
    EXPECT_EQ(blob_url(base, "team/app", d).buffer(),
              "https://R.example:5000/v2/team/app/blobs/sha256:" + hex64);
    EXPECT_EQ(manifest_url(base, "app", "v1.0").buffer(),
              "https://R.example:5000/v2/app/manifests/v1.0");
    EXPECT_EQ(manifest_url(base, "app", d.str()).buffer(),
              "https://R.example:5000/v2/app/manifests/sha256:" + hex64);
    EXPECT_EQ(upload_start_url(base, "a/b").buffer(),
              "https://R.example:5000/v2/a/b/blobs/uploads/");
    EXPECT_EQ(mount_url(base, "a/b", d, "c/d").buffer(),
              "https://R.example:5000/v2/a/b/blobs/uploads/?mount=sha256:" + hex64 + "&from=c/d");
    EXPECT_EQ(tags_url(base, "app").buffer(), "https://R.example:5000/v2/app/tags/list");
    EXPECT_EQ(tags_url(base, "app", 50, "v9").buffer(),
              "https://R.example:5000/v2/app/tags/list?n=50&last=v9");
    EXPECT_EQ(catalog_url(base).buffer(), "https://R.example:5000/v2/_catalog");
    EXPECT_EQ(catalog_url(base, 2, "a/b").buffer(),
              "https://R.example:5000/v2/_catalog?n=2&last=a/b");
    EXPECT_EQ(referrers_url(base, "app", d).buffer(),
              "https://R.example:5000/v2/app/referrers/sha256:" + hex64);
    EXPECT_EQ(referrers_url(base, "app", d, "application/vnd.example+json; x=1").buffer(),
              "https://R.example:5000/v2/app/referrers/sha256:" + hex64
                  + "?artifactType=application/vnd.example%2Bjson%3B%20x%3D1");
    EXPECT_EQ(ping_url(url("http://[::1]:5000")).buffer(), "http://[::1]:5000/v2/");
    EXPECT_EQ(ping_url(url("http://127.0.0.1")).buffer(), "http://127.0.0.1/v2/");
}

// The one place the scheme of a registry is chosen (repositories, registries, login).
TEST(registry_protocol, base_url_scheme_rules) {
    const auto base = [](const char* host, bool plain, bool force) {
        auto b = registry_base_url(host, plain, force);
        return b ? *b : "error: " + b.error().message;
    };
    EXPECT_EQ(base("r.example", false, false), "https://r.example");
    EXPECT_EQ(base("r.example:5000", true, false), "http://r.example:5000");
    for (const char* loopback : {"localhost:5000", "127.0.0.1:5000", "127.9.9.9", "[::1]:5000"}) {
        EXPECT_EQ(base(loopback, false, false).substr(0, 7), "http://") << loopback;
        EXPECT_EQ(base(loopback, false, true).substr(0, 8), "https://") << loopback;
    }
    EXPECT_EQ(base("localhost.example", false, false), "https://localhost.example");
    EXPECT_EQ(base("docker.io", false, false), "https://registry-1.docker.io");
    for (const char* bad : {"", "r.example/path", "user@r.example", "r.example:99999", "a b"}) {
        const auto b = registry_base_url(bad, false, false);
        ASSERT_FALSE(b) << bad;
        EXPECT_EQ(b.error().code, oras::errc::invalid_reference) << bad;
    }
}

TEST(registry_protocol, endpoints_cannot_change_request_structure) {
    const auto base = url("https://r.example");
    // Not valid references, but they must stay inside the path, never become a query.
    const auto u = manifest_url(base, "app", "x?y#z w");
    EXPECT_FALSE(u.has_query());
    EXPECT_FALSE(u.has_fragment());
    EXPECT_EQ(u.buffer(), "https://r.example/v2/app/manifests/x%3Fy%23z%20w");
    auto t = tags_url(base, "app", 0, "a&n=1");
    ASSERT_EQ(t.params().size(), 1u);
    EXPECT_EQ((*t.params().begin()).value, "a&n=1");
}

TEST(registry_protocol, upload_complete_keeps_state) {
    const auto d = sha256();
    const std::pair<std::string, std::string> cases[] = {
        {"https://r/v2/a/blobs/uploads/u?_state=ab%2Bc%3D%3D",
         "https://r/v2/a/blobs/uploads/u?_state=ab%2Bc%3D%3D&digest=sha256:" + hex64},
        {"https://r/v2/a/blobs/uploads/u?_state=a+b==&x",
         "https://r/v2/a/blobs/uploads/u?_state=a+b==&x&digest=sha256:" + hex64},
        {"https://r/v2/a/blobs/uploads/u", "https://r/v2/a/blobs/uploads/u?digest=sha256:" + hex64},
        {"https://r/u?digest=sha256:old&_state=s#frag",
         "https://r/u?_state=s&digest=sha256:" + hex64},
    };
    for (const auto& [in, want] : cases) {
        EXPECT_EQ(upload_complete_url(url(in), d).buffer(), want) << in;
    }
}

// --- upload Location ---------------------------------------------------------------------------

TEST(registry_protocol, upload_location_resolves_and_keeps_query) {
    const auto req = url("https://r.example:5000/v2/app/blobs/uploads/");
    const std::pair<std::string, std::string> cases[] = {
        {"https://r.example:5000/v2/app/blobs/uploads/u1?_state=abc%3D%3D&x=a+b",
         "https://r.example:5000/v2/app/blobs/uploads/u1?_state=abc%3D%3D&x=a+b"},
        {"/v2/app/blobs/uploads/u2?_state=Zm9v%2Bbar==",
         "https://r.example:5000/v2/app/blobs/uploads/u2?_state=Zm9v%2Bbar=="},
        {"u3?_state=s", "https://r.example:5000/v2/app/blobs/uploads/u3?_state=s"},
        {"//r.example:5000/v2/u4", "https://r.example:5000/v2/u4"},
        {"HTTPS://R.EXAMPLE:5000/v2/u5", "https://R.EXAMPLE:5000/v2/u5"},
        {"  /v2/u6?_state=s#frag  ", "https://r.example:5000/v2/u6?_state=s"},
    };
    for (const auto& [loc, want] : cases) {
        auto r = resolve_upload_location(loc, req);
        ASSERT_TRUE(r) << loc << ": " << r.error().message;
        EXPECT_EQ(r->buffer(), want) << loc;
    }
    // Default ports compare equal to explicit ones; http -> https upgrades are fine.
    EXPECT_TRUE(
        resolve_upload_location("https://r.example:443/v2/u", url("https://r.example/v2/")));
    EXPECT_TRUE(resolve_upload_location("http://[::1]:5000/v2/u", url("http://[::1]:5000/v2/")));
    EXPECT_TRUE(resolve_upload_location("https://r.example:80/v2/u", url("http://r.example/v2/")));
}

TEST(registry_protocol, upload_location_refuses_other_hosts) {
    const auto req = url("https://r.example:5000/v2/app/blobs/uploads/");
    const char* hostile[] = {
        "https://evil.example/v2/app/blobs/uploads/u",
        "//evil.example/x",
        "https://r.example/v2/u",       // another port (443)
        "https://r.example:5001/v2/u",  // another port
        "https://r.example.evil.example:5000/x",
        "https://r.example:5000@evil.example/x",  // userinfo trick: the host is evil.example
        "https://reg@evil.example/",
        "http://reg@evil/",
        "https://user:pw@r.example:5000/v2/u",  // same host, but credentials in the URL
        "https://r%2eexample:5000/v2/u",        // encoded host
        "https://evil.example%2f@r.example:5000/",
        "https://r.example%00.evil:5000/",
        "https://r.example.:5000/v2/u",  // trailing dot: another name
        "https://127.0.0.1:5000/v2/u",
    };
    for (const char* loc : hostile) {
        auto r = resolve_upload_location(loc, req);
        ASSERT_FALSE(r) << loc << " resolved to " << r->buffer();
        EXPECT_EQ(r.error(), errc::invalid_response) << loc;
    }
}

TEST(registry_protocol, upload_location_refuses_downgrade_and_junk) {
    const auto req = url("https://r.example:5000/v2/app/blobs/uploads/");
    const char* bad[] = {
        "http://r.example:5000/v2/u",
        "",
        "   ",
        "ftp://r.example:5000/x",
        "javascript:alert(1)",
        "https:",
        "https:v2/u",  // no authority
        "http://[::1/x",
        "/v2/\x01",
        "/v2/a b",
        "/v2/\\evil.example",
        "file:///etc/passwd",
        "data:text/plain,hi",
    };
    for (const char* loc : bad) {
        auto r = resolve_upload_location(loc, req);
        ASSERT_FALSE(r) << "\"" << loc << "\" resolved to " << r->buffer();
        EXPECT_EQ(r.error(), errc::invalid_response) << loc;
    }
    auto r = resolve_upload_location("http://r.example:5000/v2/u", req);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("downgrades https to http"), std::string::npos);
    r = resolve_upload_location("https://evil.example/x", req);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("\"https://evil.example/x\""), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find("r.example:5000"), std::string::npos) << r.error().message;
}

TEST(registry_protocol, upload_location_messages_hide_secrets) {
    const auto req = url("https://r.example/v2/");
    auto r = resolve_upload_location("https://user:hunter2@evil.example/x?token=t0psecret", req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find("t0psecret"), std::string::npos) << r.error().message;
    r = resolve_upload_location("https://evil.example/\x1b[2J", req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
}

// --- Range and chunk sizes ---------------------------------------------------------------------

TEST(registry_protocol, upload_range_parses) {
    const std::pair<std::string, std::uint64_t> cases[] = {
        {"0-0", 1},  {"0-9", 10},         {" 0-1023 ", 1024},
        {"0--1", 0}, {"bytes=0-99", 100}, {"0-9223372036854775806", 9223372036854775807ull},
    };
    for (const auto& [in, want] : cases) {
        auto r = parse_upload_range(in);
        ASSERT_TRUE(r) << in << ": " << r.error().message;
        EXPECT_EQ(*r, want) << in;
    }
}

TEST(registry_protocol, upload_range_refuses_junk) {
    const char* bad[] = {"",
                         "   ",
                         "0",
                         "-",
                         "0-",
                         "-5",
                         "1-5",
                         "5-10",
                         "0-x",
                         "0-+5",
                         "0- 5",
                         "0-5-6",
                         "0-5,6",
                         "0--2",
                         "00-5x",
                         "bytes 0-5",
                         "x-5",
                         "0-1e3",
                         "0-9223372036854775808",
                         "0-99999999999999999999999"};
    for (const char* in : bad) {
        auto r = parse_upload_range(in);
        ASSERT_FALSE(r) << "\"" << in << "\" parsed as " << *r;
        EXPECT_EQ(r.error(), errc::invalid_response) << in;
    }
}

TEST(registry_protocol, upload_range_check_allows_distribution_empty_session) {
    // distribution: `end = size; if end > 0 { end-- }` -> "0-0" for 0 and for 1 byte.
    EXPECT_TRUE(check_upload_range("0-0", 0));
    EXPECT_TRUE(check_upload_range("0-0", 1));
    EXPECT_TRUE(check_upload_range("0--1", 0));
    EXPECT_TRUE(check_upload_range("0-1048575", 1048576));
    auto r = check_upload_range("0-0", 2);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::upload_invalid);
    r = check_upload_range("0-1048574", 1048576);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::upload_invalid);
    EXPECT_NE(r.error().message.find("1048575"), std::string::npos) << r.error().message;
    r = check_upload_range("0--1", 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::upload_invalid);
    r = check_upload_range("garbage", 0);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::invalid_response);
}

TEST(registry_protocol, chunk_content_range) {
    EXPECT_EQ(chunk_content_range(0, 1), "0-0");
    EXPECT_EQ(chunk_content_range(0, 1048576), "0-1048575");
    EXPECT_EQ(chunk_content_range(1048576, 10), "1048576-1048585");
}

TEST(registry_protocol, a_listing_is_bounded_across_its_pages) {
    using oras::registry::detail::add_list_page;
    using oras::registry::detail::max_list_total;
    std::size_t total = 0;
    EXPECT_TRUE(add_list_page(total, max_list_total - 10));
    EXPECT_TRUE(add_list_page(total, 10));
    EXPECT_FALSE(add_list_page(total, 1));
}

TEST(registry_protocol, chunk_min_length) {
    EXPECT_EQ(parse_chunk_min_length("").value(), std::nullopt);
    EXPECT_EQ(parse_chunk_min_length("  ").value(), std::nullopt);
    EXPECT_EQ(parse_chunk_min_length("5242880").value(), 5242880u);
    EXPECT_EQ(parse_chunk_min_length(" 0 ").value(), 0u);
    EXPECT_EQ(parse_chunk_min_length("18446744073709551615").value(), 18446744073709551615ull);
    for (const char* bad :
         {"-1", "+5", "5 MiB", "0x10", "1.5", "18446744073709551616", "5,6", "\x01", "１"}) {
        auto r = parse_chunk_min_length(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), errc::invalid_response) << bad;
    }
}

// --- headers -----------------------------------------------------------------------------------

TEST(registry_protocol, manifest_accept_lists_all_manifest_types) {
    const auto accept = manifest_accept();
    for (const auto t : {oras::media_type::image_manifest, oras::media_type::image_index,
                         oras::media_type::docker_manifest, oras::media_type::docker_manifest_list,
                         oras::media_type::artifact_manifest}) {
        EXPECT_NE(accept.find(t), std::string_view::npos) << t;
    }
    EXPECT_EQ(accept,
              "application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.oci.image.index.v1+json, "
              "application/vnd.docker.distribution.manifest.v2+json, "
              "application/vnd.docker.distribution.manifest.list.v2+json, "
              "application/vnd.oci.artifact.manifest.v1+json");
}

TEST(registry_protocol, content_digest) {
    EXPECT_EQ(parse_content_digest("sha256:" + hex64).value(), sha256());
    EXPECT_EQ(parse_content_digest(" sha256:" + hex64 + " ").value(), sha256());
    const std::pair<std::string, errc> bad[] = {
        {"", errc::invalid_response},
        {"  ", errc::invalid_response},
        {"sha256:abc", errc::invalid_response},
        {"sha256:" + std::string(64, 'G'), errc::invalid_response},
        {"SHA256:" + hex64, errc::invalid_response},
        {"sha256:" + hex64 + ", sha256:" + hex64, errc::invalid_response},
        {"\x1b[2Jsha256:" + hex64, errc::invalid_response},
        {"md5:0123456789abcdef0123456789abcdef", errc::unsupported_digest_algorithm},
    };
    for (const auto& [in, code] : bad) {
        auto r = parse_content_digest(in);
        ASSERT_FALSE(r) << in;
        EXPECT_EQ(r.error(), code) << in;
        EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
    }
}

TEST(registry_protocol, artifact_type_filter_applied) {
    EXPECT_TRUE(artifact_type_filter_applied("artifactType"));
    EXPECT_TRUE(artifact_type_filter_applied("annotation, artifactType "));
    EXPECT_FALSE(artifact_type_filter_applied(""));
    EXPECT_FALSE(artifact_type_filter_applied("artifactTypes"));
    EXPECT_FALSE(artifact_type_filter_applied("annotation"));
}

// --- referrers tag schema ----------------------------------------------------------------------

TEST(registry_protocol, referrers_tag_spec_examples) {
    // The table of the distribution-spec's "Referrers Tag Schema".
    const std::string a64(64, 'a');
    EXPECT_EQ(referrers_tag(oras::digest::parse("sha256:" + a64).value()), "sha256-" + a64);
    EXPECT_EQ(referrers_tag(oras::digest::parse("sha512:" + std::string(128, 'a')).value()),
              "sha512-" + a64);
    EXPECT_EQ(referrers_tag(std::string_view(
                  "test+algorithm+using+algorithm+separators+and+lots+of+characters+to+excercise+"
                  "overall+truncation:alsoSome=InTheEncodedSectionToShowHyphenReplacementAndLotsAnd"
                  "LotsOfCharactersToExcerciseEncodedTruncation")),
              "test-algorithm-using-algorithm-s-alsoSome-InTheEncodedSectionToShowHyphenReplacement"
              "AndLotsAndLot");
}

TEST(registry_protocol, referrers_tag_is_always_a_valid_tag) {
    const auto sha512 = oras::digest::of(std::string_view("x"), oras::digest_algorithm::sha512);
    const auto t = referrers_tag(sha512);
    EXPECT_EQ(t, "sha512-" + std::string(sha512.encoded().substr(0, 64)));
    EXPECT_EQ(referrers_tag(sha256()), "sha256-" + hex64);
    EXPECT_EQ(referrers_tag(std::string_view(
                  "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")),
              "multihash-base58-QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8");
    EXPECT_EQ(referrers_tag(std::string_view("a.b_c:x:y/z")), "a.b_c-x-y-z");
    EXPECT_EQ(referrers_tag(std::string_view(std::string(40, 'q') + ":" + std::string(70, 'e'))),
              std::string(32, 'q') + "-" + std::string(64, 'e'));
    // Bytes, not code points: the grammar is ASCII, anything else is replaced byte by byte.
    EXPECT_EQ(referrers_tag(std::string_view("caf\xc3\xa9:\x01 ")), "caf-----");
    for (const auto& d : {sha256(), sha512}) {
        EXPECT_TRUE(oras::validate_tag(referrers_tag(d))) << d;
    }
}

// --- bodies ------------------------------------------------------------------------------------

TEST(registry_protocol, tag_list) {
    EXPECT_EQ(parse_tag_list(R"({"name":"a/b","tags":["v1","latest","1.0_rc-2"]})", "a/b").value(),
              (std::vector<std::string>{"v1", "latest", "1.0_rc-2"}));
    EXPECT_EQ(parse_tag_list(R"({"name":"a/b","tags":null})", "a/b").value(),
              std::vector<std::string>{});
    EXPECT_EQ(parse_tag_list(R"({"name":"a/b"})", "a/b").value(), std::vector<std::string>{});
    EXPECT_EQ(parse_tag_list(R"({"tags":["x"]})", "a/b").value(), std::vector<std::string>{"x"});
    EXPECT_EQ(parse_tag_list(R"({"name":"other","tags":["x"]})", "").value(),
              std::vector<std::string>{"x"});
    EXPECT_EQ(parse_tag_list(R"({"name":"a","tags":[],"extra":{"k":[1]}})", "a").value(),
              std::vector<std::string>{});
}

TEST(registry_protocol, tag_list_refuses_junk) {
    const char* bad[] = {
        "",
        "<html>nope</html>",
        "[]",
        R"("tags")",
        R"({"name":"other","tags":["v1"]})",
        R"({"name":7,"tags":["v1"]})",
        R"({"name":"a","tags":"v1"})",
        R"({"name":"a","tags":[1]})",
        R"({"name":"a","tags":["v1",null]})",
        R"({"name":"a","tags":["../../x"]})",
        R"({"name":"a","tags":["a b"]})",
        R"({"name":"a","tags":["-lead"]})",
        R"({"name":"a","tags":["\u001b[2J"]})",
        R"({"name":"a","tags":["v1"],"tags":[]})",
        R"({"name":"a","tags":["v1"])",
    };
    for (const char* body : bad) {
        auto r = parse_tag_list(body, "a");
        ASSERT_FALSE(r) << body;
        EXPECT_EQ(r.error(), errc::invalid_response) << body;
        EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos) << r.error().message;
    }
    auto r = parse_tag_list(R"({"name":"other","tags":[]})", "a");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("\"other\""), std::string::npos) << r.error().message;
    const std::string huge = R"({"tags":[")" + std::string(max_list_body, 'a') + "\"]}";
    r = parse_tag_list(huge, "");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::size_exceeds_limit);
}

TEST(registry_protocol, catalog) {
    EXPECT_EQ(parse_catalog(R"({"repositories":["a","team/app"]})").value(),
              (std::vector<std::string>{"a", "team/app"}));
    EXPECT_EQ(parse_catalog(R"({"repositories":[]})").value(), std::vector<std::string>{});
    EXPECT_EQ(parse_catalog(R"({"repositories":null})").value(), std::vector<std::string>{});
    for (const char* bad :
         {"", "{}", "404 page not found", R"({"repositories":{}})", R"({"repositories":[1]})",
          R"({"repositories":["UPPER"]})", R"({"repositories":["a/../b"]})",
          R"({"repositories":["a b"]})", R"({"repositories":[""]})"}) {
        auto r = parse_catalog(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error(), errc::invalid_response) << bad;
    }
}

// --- errors ------------------------------------------------------------------------------------

oras::http::fields content_type(std::string_view t) {
    oras::http::fields f;
    if (!t.empty()) {
        f.add("Content-Type", t);
    }
    return f;
}

TEST(registry_protocol, status_error_from_registry_errors) {
    const auto u = url("https://user:pw@r.example/v2/app/manifests/v1?token=secret");
    const auto e =
        status_error("GET", u, 404, content_type("application/json"),
                     R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown",)"
                     R"("detail":{"Tag":"v1"}}]})",
                     "fetching manifest app:v1");
    EXPECT_EQ(e.code(), errc::not_found);
    EXPECT_EQ(e.diag().method, "GET");
    EXPECT_EQ(e.diag().status, 404u);
    EXPECT_EQ(e.diag().url, "https://r.example/v2/app/manifests/v1?token=REDACTED");
    ASSERT_EQ(e.diag().errors.size(), 1u);
    EXPECT_EQ(e.diag().errors[0].code, "MANIFEST_UNKNOWN");
    EXPECT_EQ(std::string(e.what()).rfind("fetching manifest app:v1: manifest unknown", 0), 0u)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("pw@"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
}

TEST(registry_protocol, status_error_code_choice) {
    const auto u = url("https://r.example/v2/app/blobs/uploads/");
    struct row {
        unsigned status = 0;
        std::string body;
        errc want = errc::unexpected_status;
    };
    const row rows[] = {
        {403, R"({"errors":[{"code":"DENIED","message":"no"}]})", errc::denied},
        // The registry's code wins over the status.
        {400, R"({"errors":[{"code":"DIGEST_INVALID","message":"x"}]})", errc::digest_mismatch},
        {401, R"({"errors":[{"code":"UNAUTHORIZED","message":"auth"}]})", errc::unauthorized},
        // Unknown codes fall through to the next known one, then to the status.
        {400, R"({"errors":[{"code":"WHATEVER"},{"code":"NAME_INVALID"}]})",
         errc::invalid_reference},
        {500, R"({"errors":[{"code":"UNKNOWN","message":"boom"}]})", errc::unavailable},
        {404, R"({"errors":[]})", errc::not_found},
        {404, "404 page not found\n", errc::not_found},
        {429, "", errc::too_many_requests},
        {502, "<html><body>Bad Gateway</body></html>", errc::unavailable},
        {418, "{not json", errc::unexpected_status},
        {200, "", errc::unexpected_status},
    };
    for (const auto& r : rows) {
        const auto e = status_error("POST", u, r.status, {}, r.body, "starting upload");
        EXPECT_EQ(e.code(), r.want) << r.status << " " << r.body;
        EXPECT_EQ(e.diag().status, r.status);
    }
}

TEST(registry_protocol, status_error_messages) {
    const auto u = url("https://r.example/v2/app/referrers/sha256:" + hex64);
    auto msg = [&](unsigned status, std::string_view type, std::string_view body) {
        const auto e =
            status_error("GET", u, status, content_type(type), body, "listing referrers");
        const std::string w = e.what();
        return w.substr(0, w.find(" (GET "));
    };
    EXPECT_EQ(msg(404, "text/plain; charset=utf-8", "404 page not found\n"),
              "listing referrers: HTTP 404: 404 page not found");
    EXPECT_EQ(msg(404, "", "404 page not found"),
              "listing referrers: HTTP 404: 404 page not found");
    EXPECT_EQ(msg(502, "text/html", "<html><body>Bad Gateway</body></html>"),
              "listing referrers: HTTP 502");
    EXPECT_EQ(msg(502, "", "<html><body>Bad Gateway</body></html>"), "listing referrers: HTTP 502");
    EXPECT_EQ(msg(500, "", ""), "listing referrers: HTTP 500");
    EXPECT_EQ(msg(400, "application/json", R"({"message":"not the errors shape"})"),
              "listing referrers: HTTP 400");
    EXPECT_EQ(msg(400, "", R"({"errors":[{"code":"NAME_INVALID"}]})"),
              "listing referrers: NAME_INVALID");
    EXPECT_EQ(msg(400, "",
                  R"({"errors":[{"code":"A","message":"first"},{"code":"B","message":"second"}]})"),
              "listing referrers: first (and 1 more)");
    EXPECT_EQ(msg(500, "text/plain", "line one\r\nline two"),
              "listing referrers: HTTP 500: line one");
}

TEST(registry_protocol, status_error_bounds_untrusted_text) {
    const auto u = url("https://r.example/v2/");
    const std::string long_text(5000, 'x');
    const std::string hostile = "\x1b]0;owned\x07\x1b[2J" + long_text;
    for (const auto& body : {hostile, R"({"errors":[{"code":"DENIED","message":")"
                                          + std::string("\\u001b[2J") + long_text + "\"}]}"}) {
        const auto e = status_error("GET", u, 403, content_type("text/plain"), body, "pinging");
        const std::string w = e.what();
        const std::string head = w.substr(0, w.find(" (GET "));
        EXPECT_LE(head.size(), std::string("pinging: HTTP 403: ").size() + 200 + 3) << head;
        EXPECT_EQ(head.find('\x1b'), std::string::npos);
        EXPECT_EQ(head.find('\x07'), std::string::npos);
    }
    // Bodies past the cap are not looked at: a valid document there is not believed.
    const std::string padded =
        std::string(max_error_body, ' ') + R"({"errors":[{"code":"DENIED","message":"late"}]})";
    const auto e = status_error("GET", u, 404, {}, padded, "pinging");
    EXPECT_EQ(e.code(), errc::not_found);
    EXPECT_TRUE(e.diag().errors.empty());
}

// --ca-file replaces the system's trust, as oras's (its RootCAs is a pool of the file alone).
TEST(connect, a_ca_file_is_trusted_instead_of_the_systems) {
    oras::registry::connect_options o;
    EXPECT_TRUE(oras::registry::http_options_for(o).tls.use_system_ca);
    o.ca_file = "private-ca.pem";
    const auto h = oras::registry::http_options_for(o);
    EXPECT_FALSE(h.tls.use_system_ca);
    EXPECT_EQ(h.tls.ca_file, "private-ca.pem");
}

}  // namespace
