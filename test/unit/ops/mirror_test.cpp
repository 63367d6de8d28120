// Mirror logic without a registry: shards, rule validation, the configuration file.
#include <oras/errc.hpp>
#include <oras/ops/mirror.hpp>

#include "cli/mirror_config.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using oras::ops::mirror_rule;
using oras::ops::mirror_shard;

TEST(mirror_shard, parses_i_of_n) {
    auto s = oras::ops::parse_shard("1/4");
    ASSERT_TRUE(s) << s.error().message;
    EXPECT_EQ(s->index, 1u);
    EXPECT_EQ(s->count, 4u);
    for (const char* bad : {"", "1", "4/4", "-1/4", "1/0", "a/b", "1/4x", "1//4", " 1/4"}) {
        auto r = oras::ops::parse_shard(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, oras::errc::invalid_argument) << bad;
    }
}

TEST(mirror_shard, every_source_lands_in_exactly_one_shard_and_the_split_is_stable) {
    std::vector<std::string> sources;
    for (int r = 0; r < 20; ++r) {
        for (int t = 0; t < 5; ++t) {
            sources.push_back("src:5000/team/r" + std::to_string(r) + ":v" + std::to_string(t));
        }
    }
    for (const std::size_t n : {1u, 2u, 3u, 7u}) {
        std::map<std::size_t, std::size_t> per_shard;
        for (const auto& s : sources) {
            std::size_t hits = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (oras::ops::in_shard(s, mirror_shard{i, n})) {
                    ++hits;
                    ++per_shard[i];
                }
            }
            EXPECT_EQ(hits, 1u) << s << " in " << n << " shards";
        }
        if (n > 1) {
            for (std::size_t i = 0; i < n; ++i) {
                EXPECT_GT(per_shard[i], 0u) << "shard " << i << "/" << n << " got nothing";
            }
        }
    }
    // FNV-1a of the text: the same on every machine, so processes agree without talking.
    EXPECT_TRUE(oras::ops::in_shard("a", mirror_shard{0xaf63dc4c8601ec8cull % 2, 2}));
}

TEST(mirror_rule_validation, names_the_field_at_fault) {
    const auto error_of = [](mirror_rule r) {
        auto v = oras::ops::validate(r);
        return v ? std::string() : v.error().message;
    };
    EXPECT_EQ(error_of({.from = "h:5000/team/", .to = "d:5000/m/"}), "");
    EXPECT_EQ(error_of({.from = "h:5000/a", .to = "oci-layout:/tmp/x"}), "");
    EXPECT_EQ(error_of({.from = "h:5000/a:v1", .to = "d:5000/b:v1,latest"}), "");
    EXPECT_EQ(error_of({.from = "h:5000/", .to = "d:5000/all/"}), "");
    EXPECT_EQ(error_of({.from = "h:5000/a@sha256:" + std::string(64, 'a'), .to = "d:5000/b"}), "");

    EXPECT_TRUE(error_of({.from = "h:5000/Team/", .to = "d/m/"}).starts_with("from:"));
    EXPECT_TRUE(error_of({.from = "", .to = "d/m/"}).starts_with("from:"));
    EXPECT_TRUE(error_of({.from = "oci-layout:/x", .to = "d/m/"}).starts_with("from:"));
    EXPECT_TRUE(error_of({.from = "h/a:v1", .to = "d/b@sha256:" + std::string(64, 'a')})
                    .starts_with("to:"));
    // A prefix source needs a prefix or a layout destination; tags only for one artifact.
    EXPECT_TRUE(error_of({.from = "h/team/", .to = "d/repo"}).starts_with("to:"));
    EXPECT_TRUE(error_of({.from = "h/team/app", .to = "d/repo:v1"}).starts_with("to:"));
    mirror_rule bad_regex{.from = "h/a", .to = "d/a"};
    bad_regex.tags.deny = {"ok", "(unclosed"};
    EXPECT_TRUE(error_of(bad_regex).starts_with("tags.deny[1]:")) << error_of(bad_regex);
    mirror_rule bad_repo_regex{.from = "h/team/", .to = "d/m/"};
    bad_repo_regex.repositories.allow = {"[z-a]"};
    EXPECT_TRUE(error_of(bad_repo_regex).starts_with("repositories.allow[0]:"));
}

oras::result<oras::cli::mirror_config> parse(const std::string& text,
                                             std::map<std::string, std::string> env = {}) {
    return oras::cli::parse_mirror_config(
        text, "mirror.yaml", [env](const std::string& k) -> std::optional<std::string> {
            const auto it = env.find(k);
            return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
        });
}

TEST(mirror_config, reads_registries_rules_and_filters) {
    const auto c = parse(R"(
concurrency: 12
registries:
  src.example:5000: {plain-http: true}
  ghcr.io: {username: me, password-env: GHCR_TOKEN, ca-file: ca.pem, max-requests: 16}
sync:
  - from: src.example:5000/team/
    to: ghcr.io/me/mirror/
    tags: {allow: ['^v[0-9]'], deny: ['-rc']}
    repositories: {deny: '^team/tmp/'}
    referrers: true
  - from: src.example:5000/tools/lint:v2
    to: oci-layout:/srv/mirror/lint
    platform: linux/arm64
)",
                         {{"GHCR_TOKEN", "s3cret"}});
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->concurrency, 12u);
    ASSERT_EQ(c->plan.registries.size(), 2u);
    EXPECT_TRUE(c->plan.registries.at("src.example:5000").plain_http);
    const auto& ghcr = c->plan.registries.at("ghcr.io");
    EXPECT_FALSE(ghcr.plain_http);
    EXPECT_EQ(ghcr.ca_file, "ca.pem");
    EXPECT_EQ(ghcr.http.max_connections_per_origin, 16u);
    EXPECT_EQ(ghcr.credentials.explicit_credential.username, "me");
    EXPECT_EQ(ghcr.credentials.explicit_credential.password, "s3cret");
    ASSERT_EQ(c->plan.rules.size(), 2u);
    const auto& r0 = c->plan.rules[0];
    EXPECT_EQ(r0.from, "src.example:5000/team/");
    EXPECT_EQ(r0.to, "ghcr.io/me/mirror/");
    EXPECT_EQ(r0.tags.allow, std::vector<std::string>{"^v[0-9]"});
    EXPECT_EQ(r0.tags.deny, std::vector<std::string>{"-rc"});
    EXPECT_EQ(r0.repositories.deny, std::vector<std::string>{"^team/tmp/"});
    EXPECT_TRUE(r0.referrers);
    const auto& r1 = c->plan.rules[1];
    ASSERT_TRUE(r1.platform);
    EXPECT_EQ(r1.platform->architecture, "arm64");
    EXPECT_FALSE(r1.referrers);
}

// One credentials file, or several read in order, as --registry-config given more than once.
TEST(mirror_config, registry_config_is_one_file_or_a_list) {
    const auto c = parse(R"(
registries:
  a.example: {registry-config: one.json}
  b.example: {registry-config: [first.json, second.json, third.json]}
sync:
  - {from: a.example/x, to: b.example/x}
)");
    ASSERT_TRUE(c) << c.error().message;
    const auto& a = c->plan.registries.at("a.example").credentials;
    EXPECT_EQ(a.config_path, "one.json");
    EXPECT_TRUE(a.fallback_config_paths.empty());
    const auto& b = c->plan.registries.at("b.example").credentials;
    EXPECT_EQ(b.config_path, "first.json");
    EXPECT_EQ(b.fallback_config_paths,
              (std::vector<std::filesystem::path>{"second.json", "third.json"}));
    for (const std::string files : {"[]", "''", "[a.json, '']"}) {
        const auto empty = parse("registries:\n  a.example: {registry-config: " + files
                                 + "}\nsync:\n  - {from: a.example/x, to: b.example/x}\n");
        ASSERT_FALSE(empty) << files;
        EXPECT_TRUE(empty.error().message.starts_with("mirror.yaml:2: ")) << empty.error().message;
        EXPECT_NE(empty.error().message.find("name at least one file"), std::string::npos)
            << empty.error().message;
    }
}

TEST(mirror_config, json_is_accepted) {
    const auto c = parse(R"({"sync": [{"from": "h:5000/a", "to": "d:5000/b", "tags": ["^v"]}]})");
    ASSERT_TRUE(c) << c.error().message;
    ASSERT_EQ(c->plan.rules.size(), 1u);
    EXPECT_EQ(c->plan.rules[0].tags.allow, std::vector<std::string>{"^v"});
}

TEST(mirror_config, refusals_name_the_line) {
    const auto refusal = [](const std::string& text, std::map<std::string, std::string> env = {}) {
        auto c = parse(text, std::move(env));
        EXPECT_FALSE(c) << text;
        if (c) {
            return std::string();
        }
        EXPECT_EQ(c.error().code, oras::errc::invalid_argument);
        return c.error().message;
    };
    const std::string head = "sync:\n  - from: h:5000/team/\n    to: d:5000/m/\n";
    EXPECT_TRUE(refusal(head + "    tagz: {allow: [x]}\n")
                    .starts_with("mirror.yaml:4: unknown key \"tagz\""))
        << refusal(head + "    tagz: {allow: [x]}\n");
    EXPECT_TRUE(refusal(head + "    tags: {allow: ['(']}\n")
                    .starts_with("mirror.yaml:4: sync[0].tags.allow[0]"))
        << refusal(head + "    tags: {allow: ['(']}\n");
    EXPECT_TRUE(
        refusal("sync:\n  - from: h:5000/a\n    to: d:5000/b\n  - from: H@@/x\n    to: d/y\n")
            .starts_with("mirror.yaml:4: sync[1].from"));
    EXPECT_TRUE(refusal(head + "    referrers: maybe\n").starts_with("mirror.yaml:4:"));
    // A file is read on machines of any kind: a platform names its architecture.
    EXPECT_NE(refusal(head + "    platform: linux\n").find("names no architecture"),
              std::string::npos)
        << refusal(head + "    platform: linux\n");
    EXPECT_TRUE(refusal("registries:\n  h:5000: {password-env: NOPE}\n" + head)
                    .starts_with("mirror.yaml:2:"));
    EXPECT_TRUE(
        refusal("registries:\n  h:5000: {username: u}\n" + head).starts_with("mirror.yaml:2:"));
    EXPECT_TRUE(refusal("concurrency: 0\n" + head).starts_with("mirror.yaml:1:"));
    EXPECT_TRUE(refusal("sync: [\n").starts_with("mirror.yaml:"));  // YAML syntax
    EXPECT_NE(refusal("registries: {}\n").find("no sync"), std::string::npos);
    EXPECT_TRUE(refusal("extra: 1\n" + head).starts_with("mirror.yaml:1: unknown key \"extra\""));
    // A key said twice has no one meaning (yaml-cpp's lookups take the first, a loop both).
    EXPECT_TRUE(refusal(head + "    from: h:5000/other/\n")
                    .starts_with("mirror.yaml:4: duplicate key \"from\" in sync[0]"))
        << refusal(head + "    from: h:5000/other/\n");
    EXPECT_TRUE(refusal("registries:\n  h:5000: {plain-http: false, plain-http: true}\n" + head)
                    .starts_with("mirror.yaml:2: duplicate key \"plain-http\""))
        << refusal("registries:\n  h:5000: {plain-http: false, plain-http: true}\n" + head);
    EXPECT_TRUE(refusal("registries:\n  h:5000: {}\n  h:5000: {plain-http: true}\n" + head)
                    .starts_with("mirror.yaml:3: registries: h:5000 is given twice"))
        << refusal("registries:\n  h:5000: {}\n  h:5000: {plain-http: true}\n" + head);
    EXPECT_TRUE(refusal(head + "concurrency: 2\nconcurrency: 3\n")
                    .starts_with("mirror.yaml:5: duplicate key \"concurrency\""))
        << refusal(head + "concurrency: 2\nconcurrency: 3\n");
}

}  // namespace
