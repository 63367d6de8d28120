#include <oras/digest.hpp>
#include <oras/hasher.hpp>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <unordered_set>

namespace {

// FIPS 180-2 / NIST vectors.
const std::string sha256_empty =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string sha256_abc =
    "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string sha256_448 =
    "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
const std::string sha512_abc =
    "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

TEST(digest, known_vectors) {
    EXPECT_EQ(oras::digest::of(std::string_view("")).str(), sha256_empty);
    EXPECT_EQ(oras::digest::of(std::string_view("abc")).str(), sha256_abc);
    EXPECT_EQ(oras::digest::of(
                  std::string_view("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                  .str(),
              sha256_448);
    EXPECT_EQ(oras::digest::of(std::string_view("abc"), oras::digest_algorithm::sha512).str(),
              sha512_abc);
}

TEST(digest, million_a) {
    oras::hasher h;
    const std::string chunk(1000, 'a');
    for (int i = 0; i < 1000; ++i) {
        h.update(chunk);
    }
    EXPECT_EQ(h.bytes(), 1000000u);
    EXPECT_EQ(h.finish().str(),
              "sha256:cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(digest, streaming_equals_one_shot_for_any_chunking) {
    std::mt19937 rng(42);
    std::string data(300000, '\0');
    for (auto& c : data) {
        c = static_cast<char>(rng());
    }
    const auto expected = oras::digest::of(std::string_view(data));
    for (std::size_t chunk : {1u, 7u, 63u, 64u, 65u, 4096u, 100000u, 300000u}) {
        oras::hasher h;
        for (std::size_t i = 0; i < data.size(); i += chunk) {
            h.update(std::string_view(data).substr(i, chunk));
        }
        EXPECT_EQ(h.finish(), expected) << "chunk " << chunk;
    }
}

TEST(digest, finish_starts_a_new_stream) {
    oras::hasher h;
    h.update(std::string_view("abc"));
    EXPECT_EQ(h.finish().str(), sha256_abc);
    EXPECT_EQ(h.bytes(), 0u);
    EXPECT_EQ(h.finish().str(), sha256_empty);
}

TEST(digest, hasher_moves) {
    oras::hasher a;
    a.update(std::string_view("ab"));
    oras::hasher b = std::move(a);
    b.update(std::string_view("c"));
    EXPECT_EQ(b.finish().str(), sha256_abc);
}

TEST(digest, parse_accepts_registered_algorithms) {
    auto a = oras::digest::parse(sha256_abc);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->algorithm(), oras::digest_algorithm::sha256);
    EXPECT_EQ(a->encoded(), sha256_abc.substr(7));
    EXPECT_EQ(a->str(), sha256_abc);
    auto b = oras::digest::parse(sha512_abc);
    ASSERT_TRUE(b);
    EXPECT_EQ(b->algorithm(), oras::digest_algorithm::sha512);
}

TEST(digest, parse_refuses_with_a_reason) {
    const std::pair<std::string, std::string> cases[] = {
        {"", "expected algorithm:encoded"},
        {"sha256", "expected algorithm:encoded"},
        {":abc", "algorithm \"\""},
        {"SHA256:" + std::string(64, 'a'), "algorithm \"SHA256\""},
        {"sha256+:" + std::string(64, 'a'), "algorithm \"sha256+\""},
        {"sha256:", "encoded part"},
        {"sha256:abc!", "encoded part"},
        {"sha256:" + std::string(63, 'a'), "got 63"},
        {"sha256:" + std::string(65, 'a'), "got 65"},
        {"sha256:" + std::string(64, 'A'), "lowercase hex"},
        {"sha256:" + std::string(63, 'a') + "g", "lowercase hex"},
        {"sha512:" + std::string(64, 'a'), "needs 128"},
        {"sha256:" + std::string(64, 'a') + ":x", "encoded part"},
    };
    for (const auto& [text, why] : cases) {
        auto r = oras::digest::parse(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), oras::errc::invalid_digest) << text;
        EXPECT_NE(r.error().message.find(why), std::string::npos)
            << text << " -> " << r.error().message;
    }
}

TEST(digest, grammatical_unknown_algorithm_is_unsupported) {
    const std::string cases[] = {"sha384:" + std::string(96, 'a'), "blake3:abc",
                                 "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8"};
    for (const auto& text : cases) {
        auto r = oras::digest::parse(text);
        ASSERT_FALSE(r) << text;
        EXPECT_EQ(r.error(), oras::errc::unsupported_digest_algorithm) << text;
    }
}

TEST(digest, compares_and_hashes_by_value) {
    auto a = oras::digest::parse(sha256_abc).value();
    auto b = oras::digest::of(std::string_view("abc"));
    EXPECT_EQ(a, b);
    EXPECT_LT(oras::digest::parse(sha256_448).value(), a);
    std::unordered_set<oras::digest> set{a, b};
    EXPECT_EQ(set.size(), 1u);
    EXPECT_TRUE(oras::digest{}.empty());
    EXPECT_NE(oras::digest{}, a);
}

}  // namespace
