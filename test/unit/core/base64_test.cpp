#include <oras/detail/base64.hpp>

#include <gtest/gtest.h>

namespace {

using oras::detail::base64_decode;
using oras::detail::base64_encode;

TEST(base64, rfc4648_vectors) {
    const std::pair<std::string, std::string> v[] = {{"", ""},
                                                     {"f", "Zg=="},
                                                     {"fo", "Zm8="},
                                                     {"foo", "Zm9v"},
                                                     {"foob", "Zm9vYg=="},
                                                     {"fooba", "Zm9vYmE="},
                                                     {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, enc] : v) {
        EXPECT_EQ(base64_encode(plain), enc);
        auto d = base64_decode(enc);
        ASSERT_TRUE(d) << enc;
        EXPECT_EQ(*d, plain);
    }
}

TEST(base64, url_alphabet_without_padding) {
    EXPECT_EQ(base64_encode("\xfb\xff", true), "-_8");
    EXPECT_EQ(base64_encode("\xfb\xff"), "+/8=");
    EXPECT_EQ(base64_encode("f", true), "Zg");
}

TEST(base64, binary_round_trip) {
    std::string all;
    for (int i = 0; i < 256; ++i) {
        all += static_cast<char>(i);
    }
    EXPECT_EQ(base64_decode(base64_encode(all)).value(), all);
}

TEST(base64, refuses_malformed_text) {
    for (const char* bad :
         {"Zg=", "Zg", "Z===", "Zm9v!", "Zm 9v", "=Zg=", "Zg==Zg==", "Zh==", "Zm9=", "Zm8=\n"}) {
        auto d = base64_decode(bad);
        EXPECT_FALSE(d) << bad;
        if (!d) {
            EXPECT_EQ(d.error(), oras::errc::invalid_argument);
        }
    }
}

}  // namespace
