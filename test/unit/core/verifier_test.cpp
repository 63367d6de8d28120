#include <oras/verifier.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

std::span<const std::byte> bytes(std::string_view s) {
    return std::as_bytes(std::span(s));
}

const std::string content = "hello, registry";
const oras::digest content_digest = oras::digest::of(std::string_view(content));

TEST(verifier, accepts_matching_stream_in_chunks) {
    oras::verifier v(content_digest, static_cast<std::int64_t>(content.size()));
    EXPECT_TRUE(v.update(bytes(std::string_view(content).substr(0, 5))));
    EXPECT_TRUE(v.update(bytes(std::string_view(content).substr(5))));
    EXPECT_TRUE(v.finish());
    EXPECT_EQ(v.received(), static_cast<std::int64_t>(content.size()));
}

TEST(verifier, short_stream_is_a_size_mismatch) {
    oras::verifier v(content_digest, static_cast<std::int64_t>(content.size()));
    EXPECT_TRUE(v.update(bytes(std::string_view(content).substr(0, 5))));
    auto r = v.finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oras::errc::size_mismatch);
    EXPECT_NE(r.error().message.find("has 5 bytes, expected 15"), std::string::npos)
        << r.error().message;
}

TEST(verifier, long_stream_fails_as_soon_as_it_overruns) {
    oras::verifier v(content_digest, 4);
    EXPECT_TRUE(v.update(bytes("hell")));
    auto r = v.update(bytes("o"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oras::errc::size_mismatch);
    EXPECT_EQ(v.received(), 4);         // the overrunning chunk was not counted
    EXPECT_FALSE(v.update(bytes("")));  // stays failed
    auto f = v.finish();
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error(), oras::errc::size_mismatch);
}

TEST(verifier, same_size_other_bytes_is_a_digest_mismatch) {
    std::string tampered = content;
    tampered[3] ^= 1;
    oras::verifier v(content_digest, static_cast<std::int64_t>(content.size()));
    EXPECT_TRUE(v.update(bytes(tampered)));
    auto r = v.finish();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oras::errc::digest_mismatch);
    EXPECT_NE(r.error().message.find(content_digest.str()), std::string::npos);
    EXPECT_NE(r.error().message.find(oras::digest::of(std::string_view(tampered)).str()),
              std::string::npos);
}

TEST(verifier, unknown_size_checks_only_the_digest) {
    oras::verifier ok(content_digest, -1);
    EXPECT_TRUE(ok.update(bytes(content)));
    EXPECT_TRUE(ok.finish());
    oras::verifier bad(content_digest, -1);
    EXPECT_TRUE(bad.update(bytes(content + "!")));
    EXPECT_EQ(bad.finish().error(), oras::errc::digest_mismatch);
}

TEST(verifier, uses_the_expected_algorithm) {
    const auto d512 = oras::digest::of(std::string_view(content), oras::digest_algorithm::sha512);
    oras::verifier v(d512, static_cast<std::int64_t>(content.size()));
    EXPECT_TRUE(v.update(bytes(content)));
    EXPECT_TRUE(v.finish());
}

TEST(verifier, empty_content) {
    oras::verifier v(oras::digest::of(std::string_view("")), 0);
    EXPECT_TRUE(v.finish());
    oras::verifier w(oras::digest::of(std::string_view("")), 0);
    EXPECT_FALSE(w.update(bytes("x")));
}

}  // namespace
