// Headers HTTP defines and the registry protocol reads: Content-Range and Link.
#include "http/headers.hpp"

#include <oras/errc.hpp>

#include <gtest/gtest.h>
#include <boost/url/parse.hpp>

#include <optional>
#include <string>
#include <vector>

namespace {

using namespace oras::http::detail;
using oras::errc;

boost::urls::url url(std::string_view s) {
    return boost::urls::url(boost::urls::parse_uri(s).value());
}

// --- Link --------------------------------------------------------------------------------------

std::optional<std::string> next_of(std::vector<std::string_view> headers,
                                   std::string_view request = "https://r.example/v2/_catalog?n=2") {
    auto r = parse_link_next(headers, url(request));
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    if (!r || !*r) {
        return std::nullopt;
    }
    return std::string((*r)->buffer());
}

TEST(http_link, next_forms) {
    const std::string want = "https://r.example/v2/_catalog?last=b&n=2";
    EXPECT_EQ(next_of({R"(</v2/_catalog?last=b&n=2>; rel="next")"}), want);
    EXPECT_EQ(next_of({"</v2/_catalog?last=b&n=2>;rel=next"}), want);
    EXPECT_EQ(next_of({"</v2/_catalog?last=b&n=2> ; REL = \"Next\""}), want);
    EXPECT_EQ(next_of({R"(</v2/_catalog?last=b&n=2>; rel="next last")"}), want);
    EXPECT_EQ(next_of({R"(</v2/_catalog?last=b&n=2>; rel="prev  next")"}), want);
    EXPECT_EQ(next_of({R"(<https://r.example/v2/_catalog?last=b&n=2>; rel="next")"}), want);
    EXPECT_EQ(next_of({R"(<_catalog?last=b&n=2>; rel="next")"}), want);
    // Several links per field, several fields, other parameters, commas inside quotes and URIs.
    EXPECT_EQ(
        next_of({R"(</v2/_catalog?n=2>; rel="first", </v2/_catalog?last=b&n=2>; rel="next")"}),
        want);
    EXPECT_EQ(next_of({R"(</a,b>; rel="prev"; title="a, \"quoted\"; b")",
                       R"(</v2/_catalog?last=b&n=2>; type="text/html"; rel=next)"}),
              want);
    EXPECT_EQ(next_of({R"(</x>; title*=UTF-8'de'n%c3%a4chstes; rel="next")"}),
              "https://r.example/x");
    // Only the first rel parameter counts.
    EXPECT_EQ(next_of({R"(</x>; rel="prev"; rel="next")"}), std::nullopt);
    EXPECT_EQ(next_of({R"(</x>; rel="next"; rel="prev")"}), "https://r.example/x");
    // Same target twice is fine.
    EXPECT_EQ(next_of({R"(</x>; rel=next)", R"(</x>; rel="next")"}), "https://r.example/x");
    // The fragment goes; the query is kept as sent.
    EXPECT_EQ(next_of({R"(</v2/_catalog?last=a%2Bb&n=2#f>; rel="next")"}),
              "https://r.example/v2/_catalog?last=a%2Bb&n=2");
}

TEST(http_link, next_absent) {
    EXPECT_EQ(next_of({}), std::nullopt);
    EXPECT_EQ(next_of({""}), std::nullopt);
    EXPECT_EQ(next_of({" , ,"}), std::nullopt);
    EXPECT_EQ(next_of({R"(</v2/_catalog?n=2>; rel="prev")"}), std::nullopt);
    EXPECT_EQ(next_of({R"(</v2/x>; rel="nextpage")"}), std::nullopt);
    EXPECT_EQ(next_of({R"(</v2/x>)"}), std::nullopt);
    EXPECT_EQ(next_of({R"(</v2/x>; rev="next")"}), std::nullopt);
    // A link we do not follow may have any target, even one elsewhere.
    EXPECT_EQ(next_of({R"(<https://evil.example/>; rel="help")"}), std::nullopt);
}

TEST(http_link, next_refuses_junk) {
    const char* junk[] = {
        "/v2/_catalog?last=b; rel=next",   // no angle brackets
        "</v2/_catalog?last=b; rel=next",  // unterminated
        R"(</v2/x>; rel="next)",           // unterminated quoted-string
        R"(</v2/x> rel="next")",           // missing ';'
        R"(</v2/x>; ="next")",             // empty parameter name
        R"(</v2/x>; rel=)",                // empty value
        R"(</v2/x>; rel=next junk)",
        R"(</v2/x>; rel=next; <y>)",
        R"(<</v2/x>>; rel=next)",
        "</v2/x>; rel=\"ne\x01xt\"",
        R"(</v2/x>; rel=next</y>; rel=next)",
        "garbage",
    };
    for (const char* field : junk) {
        auto r = parse_link_next({field}, url("https://r.example/v2/_catalog"));
        ASSERT_FALSE(r) << field;
        EXPECT_EQ(r.error(), errc::invalid_response) << field;
    }
}

TEST(http_link, next_refuses_leaving_the_registry) {
    const auto req = url("https://r.example:5000/v2/_catalog?n=2");
    const char* hostile[] = {
        R"(<https://evil.example/v2/_catalog?last=b>; rel="next")",
        R"(<//evil.example/v2/_catalog>; rel="next")",
        R"(<http://r.example:5000/v2/_catalog?last=b>; rel="next")",
        R"(<https://r.example/v2/_catalog?last=b>; rel="next")",
        R"(<https://r.example:5000@evil.example/x>; rel="next")",
        R"(<https://u:p@r.example:5000/v2/_catalog>; rel="next")",
        R"(<https://r%2eexample:5000/v2/_catalog>; rel="next")",
        R"(<javascript:alert(1)>; rel="next")",
        R"(<ftp://r.example:5000/x>; rel="next")",
        R"(<a b>; rel="next")",
        R"(<>; rel="next")",                      // the same page again: a loop
        R"(</v2/_catalog?n=2>; rel="next")",      // also the same page
        R"(</v2/_catalog?n=2#x>; rel="next")",    // the same page, once the fragment goes
        R"(</a>; rel="next", </b>; rel="next")",  // ambiguous
    };
    for (const char* field : hostile) {
        auto r = parse_link_next({field}, req);
        ASSERT_FALSE(r) << field << " gave " << (*r ? (*r)->buffer() : "nothing");
        EXPECT_EQ(r.error(), errc::invalid_response) << field;
    }
    auto r = parse_link_next({R"(</a>; rel="next")", R"(</b>; rel="next")"}, req);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), errc::invalid_response);
}

TEST(http_content_range, partial_responses) {
    auto r = parse_content_range("bytes 100-199/1000");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first, 100u);
    EXPECT_EQ(r->last, 199u);
    EXPECT_EQ(r->total, 1000u);
    r = parse_content_range("bytes 0-0/*");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->total.has_value());
    for (const char* bad :
         {"", "100-199/1000", "bytes 199-100/1000", "bytes 0-999/999", "bytes -1/10", "bytes 1-2",
          "bytes a-b/c", "items 0-1/2", "bytes 0-1/2x"}) {
        EXPECT_FALSE(parse_content_range(bad)) << bad;
    }
}

}  // namespace
