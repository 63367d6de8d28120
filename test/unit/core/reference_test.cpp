#include <oras/error.hpp>
#include <oras/reference.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

const std::string hex64 = std::string(64, 'a');
const std::string sha = "sha256:" + hex64;

struct valid_case {
    std::string text;
    std::string registry;
    std::string repository;
    std::string tag;
    std::string digest;
};

void PrintTo(const valid_case& c, std::ostream* os) {
    *os << c.text.substr(0, 200);
}

class reference_valid : public testing::TestWithParam<valid_case> {};

TEST_P(reference_valid, parses_and_round_trips) {
    const auto& c = GetParam();
    auto r = oras::reference::parse(c.text);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->registry(), c.registry);
    EXPECT_EQ(r->repository(), c.repository);
    EXPECT_EQ(r->tag(), c.tag);
    EXPECT_EQ(r->digest().str(), c.digest);
    EXPECT_EQ(r->str(), c.text);
    EXPECT_EQ(r->name(), c.registry + "/" + c.repository);
}

INSTANTIATE_TEST_SUITE_P(
    grammar, reference_valid,
    testing::Values(
        valid_case{"localhost/app", "localhost", "app", "", ""},
        valid_case{"localhost:5000/app:v1", "localhost:5000", "app", "v1", ""},
        valid_case{"ghcr.io/org/team/app:1.0.0-rc.1", "ghcr.io", "org/team/app", "1.0.0-rc.1", ""},
        valid_case{"example.com/a/b@" + sha, "example.com", "a/b", "", sha},
        valid_case{"example.com/a:tag@" + sha, "example.com", "a", "tag", sha},
        valid_case{"127.0.0.1:5000/x", "127.0.0.1:5000", "x", "", ""},
        valid_case{"[::1]:5000/x:latest", "[::1]:5000", "x", "latest", ""},
        valid_case{"[2001:db8::1]/x", "[2001:db8::1]", "x", "", ""},
        valid_case{"Registry.Example.COM/x", "Registry.Example.COM", "x", "", ""},
        valid_case{"my-registry.io/a.b_c__d---e/f", "my-registry.io", "a.b_c__d---e/f", "", ""},
        valid_case{"r.io/x:_under", "r.io", "x", "_under", ""},
        valid_case{"r.io/x:UPPER.case-tag_1", "r.io", "x", "UPPER.case-tag_1", ""},
        valid_case{"r.io/x:" + std::string(128, 't'), "r.io", "x", std::string(128, 't'), ""},
        valid_case{"r.io/x@sha512:" + std::string(128, '0'), "r.io", "x", "",
                   "sha512:" + std::string(128, '0')},
        valid_case{"a/b", "a", "b", "", ""},
        valid_case{"r.io:65535/x", "r.io:65535", "x", "", ""}));

struct invalid_case {
    std::string text;
    std::string names;  // a fragment the message must contain
};

void PrintTo(const invalid_case& c, std::ostream* os) {
    *os << c.text.substr(0, 200);
}

class reference_invalid : public testing::TestWithParam<invalid_case> {};

TEST_P(reference_invalid, is_refused_naming_the_part) {
    const auto& c = GetParam();
    auto r = oras::reference::parse(c.text);
    ASSERT_FALSE(r) << "accepted: " << c.text;
    EXPECT_EQ(r.error(), oras::errc::invalid_reference) << r.error().message;
    EXPECT_NE(r.error().message.find(c.names), std::string::npos)
        << "message: " << r.error().message << "\nexpected to mention: " << c.names;
}

INSTANTIATE_TEST_SUITE_P(
    grammar, reference_invalid,
    testing::Values(
        invalid_case{"", "empty"}, invalid_case{"app", "missing repository"},
        invalid_case{"app:v1", "missing repository"},
        invalid_case{"localhost:5000/App", "must be lowercase"},
        invalid_case{"r.io/a//b", "path component \"\""},
        invalid_case{"r.io/a/", "path component \"\""},
        invalid_case{"r.io/-a", "path component \"-a\""},
        invalid_case{"r.io/a-", "path component \"a-\""},
        invalid_case{"r.io/a..b", "path component \"a..b\""},
        invalid_case{"r.io/a___b", "path component \"a___b\""},
        invalid_case{"r.io/a._b", "path component \"a._b\""},
        invalid_case{"r.io/", "repository \"\" is empty"}, invalid_case{"r.io/x:", "tag is empty"},
        invalid_case{"r.io/x:-tag", "tag \"-tag\""}, invalid_case{"r.io/x:.tag", "tag \".tag\""},
        invalid_case{"r.io/x:t@g", "digest"},
        invalid_case{"r.io/x:" + std::string(129, 't'), "over the limit of 128"},
        invalid_case{"r.io/x:a b", "tag \"a b\""}, invalid_case{"/x", "registry \"\" is empty"},
        invalid_case{"-r.io/x", "host component \"-r\""},
        invalid_case{"r-.io/x", "host component \"r-\""},
        invalid_case{"r..io/x", "host component \"\""},
        invalid_case{"r_x.io/x", "host component \"r_x\""},
        invalid_case{"r.io:/x", "invalid port \"\""}, invalid_case{"r.io:0/x", "outside 1-65535"},
        invalid_case{"r.io:65536/x", "outside 1-65535"},
        invalid_case{"r.io:12ab/x", "invalid port \"12ab\""},
        invalid_case{"r.io:1:2/x", "invalid port \"1:2\""}, invalid_case{"[::1/x", "no ']'"},
        invalid_case{"[]:5000/x", "invalid IPv6 address"},
        invalid_case{"[::g]/x", "invalid IPv6 address \"::g\""},
        invalid_case{"[::1]x/x", "after its IPv6 address"},
        invalid_case{"r.io/x@", "invalid digest"},
        invalid_case{"r.io/x@sha256:abc", "64 lowercase hex"},
        invalid_case{"r.io/x@sha256:" + std::string(64, 'A'), "64 lowercase hex"},
        invalid_case{"r.io/x@" + sha + "@" + sha, "invalid digest"},
        invalid_case{"r.io/x\n:tag", "path component \"x?\""}));

TEST(reference, name_of_255_characters_is_accepted_and_256_refused) {
    const std::string registry = "r.io";  // 4 + '/' = 5 characters before the repository
    const std::string ok = registry + "/" + std::string(250, 'a');
    ASSERT_EQ(ok.size(), 255u);
    EXPECT_TRUE(oras::reference::parse(ok));
    auto r = oras::reference::parse(ok + "a");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("256 characters"), std::string::npos) << r.error().message;
    // The tag does not count towards the name.
    EXPECT_TRUE(oras::reference::parse(ok + ":" + std::string(128, 't')));
}

TEST(reference, unsupported_digest_algorithm_keeps_its_code) {
    auto r = oras::reference::parse("r.io/x@sha384:" + std::string(96, 'a'));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), oras::errc::unsupported_digest_algorithm);
}

TEST(reference, messages_do_not_echo_control_characters) {
    auto r = oras::reference::parse("r.io/x:\x1b[31mred");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find('\x1b'), std::string::npos);
}

TEST(reference, host_port_and_endpoint) {
    auto a = oras::reference::parse("[::1]:5000/x").value();
    EXPECT_EQ(a.host(), "::1");
    EXPECT_EQ(a.port(), 5000);
    auto b = oras::reference::parse("localhost/x").value();
    EXPECT_EQ(b.host(), "localhost");
    EXPECT_FALSE(b.port());
    EXPECT_EQ(b.endpoint(), "localhost");
    auto c = oras::reference::parse("docker.io/library/alpine").value();
    EXPECT_EQ(c.endpoint(), "registry-1.docker.io");
    EXPECT_EQ(c.registry(), "docker.io");
}

TEST(reference, manifest_reference_prefers_the_digest) {
    EXPECT_EQ(oras::reference::parse("r.io/x:t@" + sha)->manifest_reference(), sha);
    EXPECT_EQ(oras::reference::parse("r.io/x:t")->manifest_reference(), "t");
    EXPECT_EQ(oras::reference::parse("r.io/x")->manifest_reference(), "");
}

TEST(reference, with_tag_and_with_digest) {
    auto r = oras::reference::parse("r.io/x:t@" + sha).value();
    auto t = r.with_tag("v2");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->str(), "r.io/x:v2");
    EXPECT_FALSE(r.with_tag("bad tag"));
    EXPECT_EQ(r.with_digest(oras::digest::parse(sha).value()).str(), "r.io/x@" + sha);
}

TEST(reference, value_throws_oras_error_with_the_message) {
    try {
        (void)oras::reference::parse("nope").value();
        FAIL() << "no exception";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::invalid_reference);
        EXPECT_NE(std::string(e.what()).find("missing repository"), std::string::npos);
    }
}

struct docker_case {
    std::string text;
    std::string normalized;
};

void PrintTo(const docker_case& c, std::ostream* os) {
    *os << c.text.substr(0, 200);
}

class reference_docker : public testing::TestWithParam<docker_case> {};

TEST_P(reference_docker, normalises_like_docker) {
    auto r = oras::reference::parse_docker(GetParam().text);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->str(), GetParam().normalized);
}

INSTANTIATE_TEST_SUITE_P(
    hub, reference_docker,
    testing::Values(docker_case{"ubuntu", "docker.io/library/ubuntu"},
                    docker_case{"ubuntu:22.04", "docker.io/library/ubuntu:22.04"},
                    docker_case{"ubuntu@" + sha, "docker.io/library/ubuntu@" + sha},
                    docker_case{"user/app:1", "docker.io/user/app:1"},
                    docker_case{"docker.io/ubuntu", "docker.io/library/ubuntu"},
                    docker_case{"index.docker.io/ubuntu", "docker.io/library/ubuntu"},
                    docker_case{"docker.io/user/app", "docker.io/user/app"},
                    docker_case{"localhost/app", "localhost/app"},
                    docker_case{"localhost:5000/app:v1", "localhost:5000/app:v1"},
                    docker_case{"ghcr.io/org/app", "ghcr.io/org/app"},
                    docker_case{"a.b/c", "a.b/c"}, docker_case{"Host/app", "Host/app"}));

TEST(reference, docker_form_still_validates) {
    auto r = oras::reference::parse_docker("UBUNTU");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("lowercase"), std::string::npos) << r.error().message;
}

TEST(reference, tag_lists) {
    auto r = oras::split_tags("localhost:5000/team/app:v1,latest,1.0_rc-2");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->reference, "localhost:5000/team/app:v1");
    EXPECT_EQ(r->tags, (std::vector<std::string>{"v1", "latest", "1.0_rc-2"}));

    r = oras::split_tags("localhost:5000/app:a,b@" + sha);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->reference, "localhost:5000/app:a@" + sha);
    EXPECT_EQ(r->tags, (std::vector<std::string>{"a", "b"}));

    // No tag part: the port's colon and a digest's colon are not tags.
    for (const std::string& plain :
         std::vector<std::string>{"localhost:5000/app", "localhost:5000/app@" + sha, "app"}) {
        r = oras::split_tags(plain);
        ASSERT_TRUE(r) << plain;
        EXPECT_EQ(r->reference, plain);
        EXPECT_TRUE(r->tags.empty()) << plain;
    }
    for (const auto* bad :
         {"host/app:v1,", "host/app:,v1", "host/app:v1,,v2", "host/app:v 1", "host/app:.x"}) {
        const auto e = oras::split_tags(bad);
        ASSERT_FALSE(e) << bad;
        EXPECT_EQ(e.error().code, oras::errc::invalid_reference) << bad;
    }
    EXPECT_EQ(oras::parse_tag_list("a,b").value(), (std::vector<std::string>{"a", "b"}));
    EXPECT_FALSE(oras::parse_tag_list(""));
}

TEST(reference, layout_reference_names_follow_the_image_layout_grammar_or_are_tags) {
    for (const auto* ok : {"v1", "_v1", "v1__x", "v1-", "example.com:v1", "localhost:5000/hello:v1",
                           "a--b", "a+b@c", "A/b/C9"}) {
        EXPECT_TRUE(oras::validate_ref_name(ok)) << ok;
    }
    for (const auto* bad :
         {"", "bad name", "a//b", "/a", "a/", ":v1", "a::b", "a-:b", "a/-b", "a,b", "tag\n"}) {
        const auto r = oras::validate_ref_name(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, oras::errc::invalid_reference) << bad;
    }
    EXPECT_TRUE(oras::validate_ref_name(std::string(1024, 'a')));
    EXPECT_FALSE(oras::validate_ref_name(std::string(1025, 'a')));
}

}  // namespace
