#include <oras/media_type.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

TEST(media_type, validity_per_rfc6838) {
    for (const char* ok :
         {"application/vnd.oci.image.manifest.v1+json", "a/b", "text/plain",
          "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "A1/b!#$&^_.+-"}) {
        EXPECT_TRUE(oras::media_type::is_valid(ok)) << ok;
    }
    for (const std::string& bad :
         {std::string(""), std::string("a"), std::string("/b"), std::string("a/"),
          std::string("a/b/c"), std::string("a/b; charset=utf-8"), std::string(".a/b"),
          std::string("a b/c"), std::string(128, 'a') + "/b"}) {
        EXPECT_FALSE(oras::media_type::is_valid(bad)) << bad;
    }
}

TEST(media_type, kinds) {
    using namespace oras::media_type;
    EXPECT_TRUE(is_manifest(image_manifest));
    EXPECT_TRUE(is_manifest(docker_manifest));
    EXPECT_FALSE(is_manifest(image_index));
    EXPECT_TRUE(is_index(image_index));
    EXPECT_TRUE(is_index(docker_manifest_list));
    EXPECT_FALSE(is_index(empty_json));
    EXPECT_EQ(empty_json, "application/vnd.oci.empty.v1+json");
    EXPECT_EQ(oras::annotation::title, "org.opencontainers.image.title");
}

}  // namespace
