#include <oras/artifact_manifest.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

const std::string d1 = "sha256:" + std::string(64, '1');
const std::string d2 = "sha256:" + std::string(64, '2');
const std::string d3 = "sha256:" + std::string(64, '3');
const std::string empty_digest =
    "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

// What the Go ORAS tools write for one file pushed with image-spec 1.1 defaults.
const std::string go_artifact =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("artifactType":"application/vnd.unknown.artifact.v1","config":{"mediaType":)"
    R"("application/vnd.oci.empty.v1+json","digest":")"
    + empty_digest
    + R"(","size":2,"data":"e30="},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar",)"
      R"("digest":")"
    + d1
    + R"(","size":12,"annotations":{"org.opencontainers.image.title":"hello.txt"}}],)"
      R"("annotations":{"org.opencontainers.image.created":"2024-01-02T03:04:05Z"}})";

oras::descriptor desc(std::string media_type, const std::string& d, std::int64_t size) {
    oras::descriptor x;
    x.media_type = std::move(media_type);
    x.digest = oras::digest::parse(d).value();
    x.size = size;
    return x;
}

TEST(manifest, empty_json_descriptor_is_the_spec_constant) {
    const auto e = oras::empty_json_descriptor();
    EXPECT_EQ(e.media_type, oras::media_type::empty_json);
    EXPECT_EQ(e.digest.str(), empty_digest);
    EXPECT_EQ(e.size, 2);
    EXPECT_EQ(e.data, "e30=");
}

TEST(manifest, serialises_byte_for_byte_like_the_go_tools) {
    oras::image_manifest m;
    m.media_type = oras::media_type::image_manifest;
    m.artifact_type = "application/vnd.unknown.artifact.v1";
    m.config = oras::empty_json_descriptor();
    auto layer = desc(std::string(oras::media_type::image_layer), d1, 12);
    layer.annotations.emplace(oras::annotation::title, "hello.txt");
    m.layers.push_back(layer);
    m.annotations.emplace(oras::annotation::created, "2024-01-02T03:04:05Z");
    EXPECT_EQ(m.serialize(), go_artifact);
}

TEST(manifest, parse_then_serialize_round_trips) {
    auto m = oras::image_manifest::parse(go_artifact);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->serialize(), go_artifact);
    EXPECT_EQ(m->layers.at(0).annotation(oras::annotation::title), "hello.txt");
    EXPECT_EQ(m->config.data, "e30=");
    auto again = oras::image_manifest::parse(m->serialize());
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *m);
}

TEST(manifest, every_field_round_trips) {
    oras::image_manifest m;
    m.media_type = oras::media_type::image_manifest;
    m.artifact_type = "application/vnd.example+json";
    m.config = desc("application/vnd.example.config+json", d1, 10);
    m.config.urls = {"https://mirror.example/a", "https://mirror.example/b"};
    auto l = desc(std::string(oras::media_type::image_layer_gzip), d2, 1LL << 40);
    l.annotations = {{"b", "2"},
                     {"a", "quote\" backslash\\ newline\n tab\t <html>&"},
                     {"unicode", "caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80"}};
    l.artifact_type = "application/vnd.layer";
    m.layers = {l, desc("application/octet-stream", d3, 0)};
    m.subject = desc(std::string(oras::media_type::image_manifest), d3, 512);
    m.annotations = {{"z", ""}, {"k", "\x01"}};
    const auto bytes = m.serialize();
    auto back = oras::image_manifest::parse(bytes);
    ASSERT_TRUE(back) << back.error().message << "\n" << bytes;
    EXPECT_EQ(*back, m);
    EXPECT_EQ(back->serialize(), bytes);
    // Go-style escaping, sorted annotations.
    EXPECT_NE(bytes.find(R"("a":"quote\" backslash\\ newline\n tab\t \u003chtml\u003e\u0026")"),
              std::string::npos)
        << bytes;
    EXPECT_NE(bytes.find("\\u2028"), std::string::npos);
    EXPECT_LT(bytes.find(R"("a":)"), bytes.find(R"("b":)"));
    EXPECT_NE(bytes.find(R"("k":"\u0001")"), std::string::npos);
}

TEST(manifest, successors_are_subject_config_layers) {
    auto m = oras::image_manifest::parse(go_artifact).value();
    m.subject = desc(std::string(oras::media_type::image_manifest), d3, 9);
    auto s = m.successors();
    ASSERT_EQ(s.size(), 3u);
    EXPECT_EQ(s[0].digest.str(), d3);
    EXPECT_EQ(s[1].digest.str(), empty_digest);
    EXPECT_EQ(s[2].digest.str(), d1);
}

TEST(manifest, tolerates_unknown_members_and_missing_media_type) {
    const std::string json =
        R"({"schemaVersion":2,"future":{"x":[1,2,{}]},"config":{"mediaType":"a/b","digest":")" + d1
        + R"(","size":1,"extra":true},"layers":[]})";
    auto m = oras::image_manifest::parse(json);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_TRUE(m->media_type.empty());
    EXPECT_TRUE(m->layers.empty());
}

TEST(manifest, docker_v2_manifest_parses) {
    const std::string json =
        R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",)"
        R"("config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7023,)"
        R"("digest":")"
        + d1
        + R"("},"layers":[{"mediaType":)"
          R"("application/vnd.docker.image.rootfs.diff.tar.gzip","size":32654,"digest":")"
        + d2 + R"("}]})";
    auto m = oras::image_manifest::parse(json);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->media_type, oras::media_type::docker_manifest);
    EXPECT_EQ(m->layers.at(0).size, 32654);
}

struct bad_case {
    std::string json;
    std::string names;
    oras::errc code = oras::errc::invalid_manifest;
};

void PrintTo(const bad_case& c, std::ostream* os) {
    *os << c.json.substr(0, 200);
}

std::string with_config(const std::string& config) {
    return R"({"schemaVersion":2,"config":)" + config + R"(,"layers":[]})";
}

class manifest_invalid : public testing::TestWithParam<bad_case> {};

TEST_P(manifest_invalid, is_refused_naming_the_member) {
    auto m = oras::image_manifest::parse(GetParam().json, {.max_size = 4096});
    ASSERT_FALSE(m) << GetParam().json;
    EXPECT_EQ(m.error(), GetParam().code) << m.error().message;
    EXPECT_NE(m.error().message.find(GetParam().names), std::string::npos)
        << "message: " << m.error().message << "\nexpected: " << GetParam().names;
}

const std::string good_config = R"({"mediaType":"a/b","digest":")" + d1 + R"(","size":1})";

INSTANTIATE_TEST_SUITE_P(
    rejection, manifest_invalid,
    testing::Values(
        bad_case{"", "not valid JSON"}, bad_case{"{", "not valid JSON"},
        bad_case{R"({"schemaVersion":2,})", "not valid JSON"},
        bad_case{"[]", "must be a JSON object"}, bad_case{"\"manifest\"", "must be a JSON object"},
        bad_case{R"({"config":)" + good_config + R"(,"layers":[]})", "\"schemaVersion\""},
        bad_case{R"({"schemaVersion":1,"config":)" + good_config + R"(,"layers":[]})",
                 "schemaVersion is 1"},
        bad_case{R"({"schemaVersion":"2","config":)" + good_config + R"(,"layers":[]})",
                 "\"schemaVersion\" must be an integer"},
        bad_case{R"({"schemaVersion":2,"layers":[]})", "\"config\""},
        bad_case{R"({"schemaVersion":2,"config":)" + good_config + "}", "\"layers\""},
        bad_case{R"({"schemaVersion":2,"config":)" + good_config + R"(,"layers":{}})",
                 "\"layers\" must be an array"},
        bad_case{R"({"schemaVersion":2,"config":)" + good_config + R"(,"layers":[1]})",
                 "\"layers[0]\" must be an object"},
        bad_case{with_config(R"({"digest":")" + d1 + R"(","size":1})"), "config.mediaType"},
        bad_case{with_config(R"({"mediaType":"a/b","size":1})"), "config.digest"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + d1 + R"("})"), "config.size"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + d1 + R"(","size":-1})"),
                 "\"config.size\" is negative"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + d1 + R"(","size":1.5})"),
                 "\"config.size\" must be an integer"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + d1
                             + R"(","size":18446744073709551615})"),
                 "\"config.size\" must be an integer"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + d1 + R"(","size":"1"})"),
                 "\"config.size\" must be an integer"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":"sha256:xyz","size":1})"),
                 "\"config.digest\": invalid digest"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":"md5:abc","size":1})"), "config.digest",
                 oras::errc::unsupported_digest_algorithm},
        bad_case{with_config(R"({"mediaType":"nonsense","digest":")" + d1 + R"(","size":1})"),
                 "\"config.mediaType\" is not a valid media type"},
        bad_case{with_config(R"({"mediaType":"a/b;x=y","digest":")" + d1 + R"(","size":1})"),
                 "not a valid media type"},
        bad_case{with_config(R"({"mediaType":7,"digest":")" + d1 + R"(","size":1})"),
                 "\"config.mediaType\" must be a string"},
        bad_case{with_config(R"({"mediaType":"a/b","mediaType":"c/d","digest":")" + d1
                             + R"(","size":1})"),
                 "duplicate member \"config.mediaType\""},
        bad_case{
            R"({"schemaVersion":2,"schemaVersion":2,"config":)" + good_config + R"(,"layers":[]})",
            "duplicate member \"schemaVersion\""},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + d1
                             + R"(","size":1,"annotations":{"k":1}})"),
                 "\"config.annotations.k\" must be a string"},
        bad_case{
            with_config(R"({"mediaType":"a/b","digest":")" + d1 + R"(","size":1,"urls":["x",2]})"),
            "\"config.urls[1]\" must be a string"},
        bad_case{
            with_config(R"({"mediaType":"a/b","digest":")" + d1 + R"(","size":2,"data":"e30="})"),
            "does not match digest"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + empty_digest
                             + R"(","size":3,"data":"e30="})"),
                 "holds 2 bytes but size is 3"},
        bad_case{with_config(R"({"mediaType":"a/b","digest":")" + empty_digest
                             + R"(","size":2,"data":"e30"})"),
                 "not valid base64"},
        bad_case{R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                 R"("config":)"
                     + good_config + R"(,"layers":[]})",
                 "manifest has mediaType", oras::errc::invalid_media_type},
        bad_case{
            R"({"schemaVersion":2,"manifests":[],"config":)" + good_config + R"(,"layers":[]})",
            "it is an index"},
        bad_case{R"({"schemaVersion":2,"subject":"x","config":)" + good_config + R"(,"layers":[]})",
                 "\"subject\" must be an object"},
        bad_case{
            R"({"schemaVersion":2,"config":)" + good_config + R"(,"layers":[],"annotations":[]})",
            "\"annotations\" must be an object"},
        bad_case{R"({"schemaVersion":2,"config":)" + good_config + R"(,"layers":[],"x":")"
                     + std::string(5000, 'x') + "\"}",
                 "exceeds the limit of 4096", oras::errc::size_exceeds_limit},
        bad_case{"{\"schemaVersion\":2,\"config\":" + good_config
                     + ",\"layers\":[],\"annotations\":{\"k\":\"\xff\"}}",
                 "not valid JSON"}));

TEST(manifest, default_size_cap_is_4_mib) {
    EXPECT_EQ(oras::parse_options{}.max_size, 4u * 1024 * 1024);
    std::string big = R"({"schemaVersion":2,"config":)" + good_config + R"(,"layers":[],"x":")"
                      + std::string(4 * 1024 * 1024, 'x') + "\"}";
    EXPECT_EQ(oras::image_manifest::parse(big).error(), oras::errc::size_exceeds_limit);
}

TEST(index, round_trip_with_platforms) {
    oras::image_index idx;
    idx.media_type = oras::media_type::image_index;
    auto a = desc(std::string(oras::media_type::image_manifest), d1, 100);
    a.platform = oras::platform{"arm64", "linux", "", {}, "v8"};
    auto b = desc(std::string(oras::media_type::image_manifest), d2, 200);
    b.platform = oras::platform{"amd64", "windows", "10.0.17763.1", {"win32k"}, ""};
    idx.manifests = {a, b};
    idx.annotations = {{"org.opencontainers.image.ref.name", "v1"}};
    const auto bytes = idx.serialize();
    EXPECT_EQ(
        bytes.rfind(
            R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)",
            0),
        0u)
        << bytes;
    EXPECT_NE(bytes.find(R"("platform":{"architecture":"arm64","os":"linux","variant":"v8"})"),
              std::string::npos)
        << bytes;
    EXPECT_NE(bytes.find(R"("os.version":"10.0.17763.1","os.features":["win32k"])"),
              std::string::npos)
        << bytes;
    auto back = oras::image_index::parse(bytes);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, idx);
    EXPECT_EQ(back->serialize(), bytes);
    auto s = back->successors();
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[1].digest.str(), d2);
}

TEST(index, successors_start_with_the_subject) {
    oras::image_index idx;
    idx.manifests = {desc("a/b", d1, 1)};
    idx.subject = desc("a/c", d2, 2);
    auto s = idx.successors();
    ASSERT_EQ(s.size(), 2u);
    EXPECT_EQ(s[0].digest.str(), d2);
}

TEST(index, rejects_manifests_and_bad_platforms) {
    auto m = oras::image_index::parse(go_artifact);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error(), oras::errc::invalid_media_type);
    auto no_list = oras::image_index::parse(R"({"schemaVersion":2})");
    ASSERT_FALSE(no_list);
    EXPECT_NE(no_list.error().message.find("\"manifests\""), std::string::npos);
    auto bad_platform =
        oras::image_index::parse(R"({"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":")"
                                 + d1 + R"(","size":1,"platform":{"os":"linux"}}]})");
    ASSERT_FALSE(bad_platform);
    EXPECT_NE(bad_platform.error().message.find("manifests[0].platform.architecture"),
              std::string::npos)
        << bad_platform.error().message;
    auto docker_list = oras::image_index::parse(
        R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[]})");
    EXPECT_TRUE(docker_list);
}

// An artifact manifest as ORAS 1.0 could push it: no schemaVersion, no config, blobs.
const std::string oras1_artifact =
    R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json","artifactType":"doc/sbom",)"
    R"("blobs":[{"mediaType":"application/spdx+json","digest":")"
    + d1
    + R"(","size":12,"annotations":{"org.opencontainers.image.title":"sbom.json"}}],)"
      R"("subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")"
    + d2 + R"(","size":500},"annotations":{"org.opencontainers.image.created":"2023-01-02"}})";

TEST(artifact_manifest, parses_blobs_subject_and_annotations) {
    const auto a = oras::artifact_manifest::parse(oras1_artifact);
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->media_type, oras::media_type::artifact_manifest);
    EXPECT_EQ(a->artifact_type, "doc/sbom");
    ASSERT_EQ(a->blobs.size(), 1u);
    EXPECT_EQ(a->blobs[0].digest.str(), d1);
    EXPECT_EQ(a->blobs[0].annotation("org.opencontainers.image.title"), "sbom.json");
    ASSERT_TRUE(a->subject);
    EXPECT_EQ(a->subject->digest.str(), d2);
    EXPECT_EQ(a->annotations.at("org.opencontainers.image.created"), "2023-01-02");
    const auto next = a->successors();
    ASSERT_EQ(next.size(), 2u);
    EXPECT_EQ(next[0].digest.str(), d2);  // the subject first, as an image manifest's
    EXPECT_EQ(next[1].digest.str(), d1);
    EXPECT_TRUE(oras::media_type::is_graph_manifest(a->media_type));
    EXPECT_FALSE(oras::media_type::is_manifest(a->media_type));

    // Blobs may be left out (annotations only); the rest is optional too.
    const auto bare = oras::artifact_manifest::parse(
        R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json"})");
    ASSERT_TRUE(bare) << bare.error().message;
    EXPECT_TRUE(bare->blobs.empty());
    EXPECT_FALSE(bare->subject);
}

TEST(artifact_manifest, refuses_other_documents_naming_what_is_wrong) {
    const std::string type = R"("mediaType":"application/vnd.oci.artifact.manifest.v1+json")";
    const struct {
        std::string json;
        oras::errc code;
        std::string names;
    } cases[] = {
        {R"({"blobs":[]})", oras::errc::invalid_manifest, "mediaType"},
        {go_artifact, oras::errc::invalid_media_type, "image.manifest"},
        {"{" + type + R"(,"blobs":{}})", oras::errc::invalid_manifest, "blobs"},
        {"{" + type + R"(,"blobs":[{"mediaType":"a/b","digest":"sha256:12","size":1}]})",
         oras::errc::invalid_manifest, "blobs[0].digest"},
        {"{" + type + R"(,"subject":{"mediaType":"a/b","digest":")" + d1 + R"("}})",
         oras::errc::invalid_manifest, "subject.size"},
        {"{" + type + "," + type + "}", oras::errc::invalid_manifest, "mediaType"},
        {"{" + type + R"(,"schemaVersion":3})", oras::errc::invalid_manifest, "schemaVersion"},
        {"[]", oras::errc::invalid_manifest, "object"},
    };
    for (const auto& c : cases) {
        const auto a = oras::artifact_manifest::parse(c.json);
        ASSERT_FALSE(a) << c.json;
        EXPECT_EQ(a.error(), c.code) << c.json << ": " << a.error().message;
        EXPECT_NE(a.error().message.find(c.names), std::string::npos)
            << c.json << ": " << a.error().message;
    }
    // Nor is an artifact manifest read as an image manifest, whatever members it has.
    auto as_image = go_artifact;
    as_image.replace(as_image.find("image.manifest"), 14, "artifact.manifest");
    const auto m = oras::image_manifest::parse(as_image);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error(), oras::errc::invalid_media_type) << m.error().message;
}

}  // namespace
