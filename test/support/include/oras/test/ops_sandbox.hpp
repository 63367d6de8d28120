// The files push and pull tests work with: a sandbox with a known tree and push options for
// it, and checks of what push and pull returned for them.
#pragma once

#include <oras/digest.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>
#include <oras/test/files.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace oras::test {

/// `work` holds what is pushed; `out` is where pulls go.
struct sandbox {
    oras::test::temp_dir tmp{"oras-ops-"};
    std::filesystem::path root = tmp.path();
    std::filesystem::path work = root / "work";
    std::filesystem::path out = root / "out";

    sandbox() { std::filesystem::create_directories(work); }

    void make_content() const {
        write_file(work / "a.txt", "hello, ops\n");
        write_file(work / "data.bin", pattern(1536 * 1024 + 5, 11));
        std::filesystem::create_directories(work / "tree/sub/deeper");
        std::filesystem::create_directories(work / "tree/empty");
        write_file(work / "tree/top.txt", "top\n");
        write_file(work / "tree/sub/deeper/leaf.bin", pattern(50'000, 4));
        std::filesystem::create_symlink("sub/deeper/leaf.bin", work / "tree/link");
        write_file(work / "config.json", R"({"ops":1})");
    }
    tree content() const { return subset(snapshot(work), {"a.txt", "data.bin", "tree"}); }

    /// Push options for `a.txt` (text/plain), `data.bin` and `tree`, with a config and
    /// annotations.
    oras::ops::push_options options() const {
        oras::ops::push_options o;
        o.working_dir = work;
        o.files = {{"a.txt", "text/plain"}, {"data.bin", ""}, {"tree", ""}};
        o.config = oras::ops::push_file{"config.json", "application/vnd.test.config+json"};
        o.artifact_type = "application/vnd.test.ops";
        o.annotations["$manifest"]["org.example.m"] = "manifest";
        o.annotations["$config"]["org.example.c"] = "config";
        o.annotations["a.txt"]["org.example.f"] = "file";
        return o;
    }
};

/// Checks what push returned for `sandbox::options()`.
inline void check_push_result(const oras::ops::push_result& r) {
    EXPECT_EQ(r.manifest.digest, oras::digest::of(r.manifest_bytes));
    EXPECT_EQ(r.manifest.size, static_cast<std::int64_t>(r.manifest_bytes.size()));
    EXPECT_EQ(r.manifest.media_type, oras::media_type::image_manifest);
    EXPECT_EQ(r.manifest.artifact_type, "application/vnd.test.ops");
    const auto m = oras::image_manifest::parse(r.manifest_bytes);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->artifact_type, "application/vnd.test.ops");
    EXPECT_EQ(m->config.media_type, "application/vnd.test.config+json");
    EXPECT_EQ(m->config.digest, oras::digest::of(R"({"ops":1})"));
    EXPECT_EQ(m->config.annotation("org.example.c"), "config");
    EXPECT_EQ(m->annotations.at("org.example.m"), "manifest");
    ASSERT_EQ(m->layers.size(), 3u);
    EXPECT_EQ(m->layers, r.layers);
    EXPECT_EQ(m->layers[0].annotation(oras::annotation::title), "a.txt");
    EXPECT_EQ(m->layers[0].media_type, "text/plain");
    EXPECT_EQ(m->layers[0].annotation("org.example.f"), "file");
    EXPECT_EQ(m->layers[1].annotation(oras::annotation::title), "data.bin");
    EXPECT_EQ(m->layers[1].media_type, oras::media_type::image_layer);
    EXPECT_EQ(m->layers[1].size, 1536 * 1024 + 5);
    EXPECT_EQ(m->layers[2].annotation(oras::annotation::title), "tree");
    EXPECT_EQ(m->layers[2].media_type, oras::media_type::image_layer_gzip);
    EXPECT_EQ(m->layers[2].annotation(oras::annotation::content_unpack), "true");
}

inline void check_pull_result(const oras::ops::pull_result& r, const std::filesystem::path& out,
                              const oras::descriptor& manifest) {
    EXPECT_EQ(r.manifest.digest, manifest.digest);
    ASSERT_EQ(r.files.size(), 3u);
    EXPECT_EQ(r.skipped, 0u);
    std::map<std::string, bool> unpacked;
    for (const auto& f : r.files) {
        EXPECT_EQ(f.path.parent_path(), std::filesystem::canonical(out)) << f.path;
        unpacked[f.path.filename().string()] = f.unpacked;
    }
    EXPECT_EQ(unpacked,
              (std::map<std::string, bool>{{"a.txt", false}, {"data.bin", false}, {"tree", true}}));
}

}  // namespace oras::test
