#include <oras/auth/docker_config.hpp>
#include <oras/detail/base64.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

using oras::auth::docker_config;

std::string b64(std::string_view s) {
    return oras::detail::base64_encode(s);
}

TEST(docker_config, auths_with_the_docker_cli_key_forms) {
    const std::string json = R"({
      "auths": {
        "https://index.docker.io/v1/": {"auth": ")"
                             + b64("hubuser:hub:pass") + R"("},
        "registry.example:5000": {"auth": ")"
                             + b64("alice:secret") + R"(", "email": "a@b"},
        "https://ghcr.example/": {"identitytoken": "refresh-123"},
        "http://old.example/v2/": {"username": "bob", "password": "pw"},
        "tokens.example": {"registrytoken": "bearer-xyz"},
        "empty.example": {}
      },
      "credHelpers": {"ecr.example": "ecr-login"},
      "credsStore": "desktop",
      "currentContext": "default",
      "proxies": {"default": {"httpProxy": "x"}}
    })";
    auto cfg = docker_config::parse(json);
    ASSERT_TRUE(cfg) << cfg.error().message;
    for (const char* hub : {"docker.io", "index.docker.io", "registry-1.docker.io"}) {
        auto c = cfg->find(hub);
        ASSERT_TRUE(c) << hub;
        EXPECT_EQ(c->username, "hubuser");
        EXPECT_EQ(c->password, "hub:pass");  // only the first ':' separates
    }
    EXPECT_EQ(cfg->find("registry.example:5000")->password, "secret");
    EXPECT_FALSE(cfg->find("registry.example"));  // the port is part of the registry
    EXPECT_EQ(cfg->find("ghcr.example")->identity_token, "refresh-123");
    EXPECT_EQ(cfg->find("old.example")->username, "bob");
    EXPECT_EQ(cfg->find("tokens.example")->registry_token, "bearer-xyz");
    EXPECT_FALSE(cfg->find("empty.example"));
    EXPECT_FALSE(cfg->find("unknown.example"));
    EXPECT_EQ(cfg->helper_for("ecr.example"), "ecr-login");
    EXPECT_EQ(cfg->helper_for("registry.example:5000"), "desktop");
}

TEST(docker_config, malformed_files_are_refused_naming_the_entry) {
    const std::pair<std::string, std::string> cases[] = {
        {"{", "not valid JSON (line 1, column 2)"},
        // Where it goes wrong, for whoever edits the file by hand: the brace after a comma.
        {"{\n  \"auths\": {\n    \"r\": {},\n  }\n}\n", "not valid JSON (line 4, column 3)"},
        {"{\"auths\": {}} x", "not valid JSON (line 1, column 15)"},
        {"{\"auths\": {}}\n}\n", "not valid JSON (line 2, column 1)"},
        {std::string(200'000, '['), "not valid JSON (line 1, column 1025)"},
        {"[]", "is not a JSON object"},
        {R"({"auths": []})", "\"auths\" must be an object"},
        {R"({"auths": {"r": "x"}})", "\"auths.r\" must be an object"},
        {R"({"auths": {"r": {"auth": "!!!"}}})", "\"auths.r.auth\" is not base64"},
        {R"({"auths": {"r": {"auth": ")" + b64("no-colon") + R"("}}})", "\"auths.r.auth\""},
        {R"({"credHelpers": {"r": 1}})", "\"credHelpers.r\" must be a string"},
        {R"({"credsStore": {}})", "\"credsStore\" must be a string"},
    };
    for (const auto& [json, why] : cases) {
        auto cfg = docker_config::parse(json, "/home/u/.docker/config.json");
        ASSERT_FALSE(cfg) << json;
        EXPECT_EQ(cfg.error(), oras::errc::invalid_argument);
        EXPECT_NE(cfg.error().message.find(why), std::string::npos)
            << json << " -> " << cfg.error().message;
        EXPECT_NE(cfg.error().message.find("/home/u/.docker/config.json"), std::string::npos);
    }
}

TEST(docker_config, key_normalisation) {
    using oras::auth::normalize_registry_key;
    EXPECT_EQ(normalize_registry_key("https://Registry.Example:5000/v1/"), "registry.example:5000");
    EXPECT_EQ(normalize_registry_key("registry.example"), "registry.example");
    EXPECT_EQ(normalize_registry_key("https://index.docker.io/v1/"), "docker.io");
    EXPECT_EQ(normalize_registry_key("[::1]:5000"), "[::1]:5000");
}

TEST(docker_config, load_and_default_path) {
    const auto dir = std::filesystem::temp_directory_path()
                     / ("oras-docker-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // A missing file is an empty config.
    auto missing = docker_config::load(dir / "config.json");
    ASSERT_TRUE(missing);
    EXPECT_FALSE(missing->find("docker.io"));
    std::ofstream(dir / "config.json")
        << R"({"auths":{"r.example":{"auth":")" + b64("u:p") + R"("}}})";
    ::setenv("DOCKER_CONFIG", dir.c_str(), 1);
    EXPECT_EQ(docker_config::default_path(), dir / "config.json");
    auto cfg = docker_config::load(docker_config::default_path());
    ASSERT_TRUE(cfg) << cfg.error().message;
    EXPECT_EQ(cfg->find("r.example")->username, "u");
    ::unsetenv("DOCKER_CONFIG");
    ::setenv("HOME", "/home/someone", 1);
    EXPECT_EQ(docker_config::default_path(),
              std::filesystem::path("/home/someone/.docker/config.json"));
    std::filesystem::remove_all(dir);
}

}  // namespace
