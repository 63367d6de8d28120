// The test support itself, where it starts registries: they do not leak and their failures are
// reported. The rest of it is tested in test/transport/support_test.cpp.
#include <oras/test/http.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include <unistd.h>

namespace {

using namespace oras::test;

bool pid_gone(int pid) {
    return ::kill(pid, 0) != 0 && errno == ESRCH;
}

TEST(registry_lifecycle, stop_kills_the_process_and_removes_the_directory) {
    registry_process reg;
    const int pid = reg.pid();
    const auto dir = reg.dir();
    ASSERT_GT(pid, 0);
    EXPECT_TRUE(process_exists(pid));
    EXPECT_TRUE(std::filesystem::exists(dir / "config.yml"));
    EXPECT_TRUE(dir.filename().string().starts_with("oras-test-registry-")) << dir;

    reg.stop();
    EXPECT_TRUE(pid_gone(pid));
    EXPECT_FALSE(std::filesystem::exists(dir));
    EXPECT_FALSE(reg.running());
    reg.stop();  // idempotent
    EXPECT_NE(reg.log().find("listening on"), std::string::npos) << reg.log();
    EXPECT_THROW(http_request("GET", reg.base_url() + "/v2/"), std::system_error);
}

TEST(registry_lifecycle, destructor_cleans_up_every_mode) {
    struct seen {
        int pid;
        std::filesystem::path dir;
    };
    std::vector<seen> started;
    for (const registry_options& o :
         {registry_options{}, registry_options{.auth = auth_mode::basic},
          registry_options{.auth = auth_mode::token, .tls = true}}) {
        registry_process reg(o);
        started.push_back({reg.pid(), reg.dir()});
        EXPECT_TRUE(reg.running());
    }
    for (const auto& s : started) {
        EXPECT_TRUE(pid_gone(s.pid)) << s.pid;
        EXPECT_FALSE(std::filesystem::exists(s.dir)) << s.dir;
    }
}

TEST(registry_lifecycle, moved_from_registry_is_stopped_once) {
    registry_process a;
    const int pid = a.pid();
    registry_process b(std::move(a));
    EXPECT_EQ(b.pid(), pid);
    EXPECT_TRUE(b.running());
    b.stop();
    EXPECT_TRUE(pid_gone(pid));
}

TEST(registry_lifecycle, several_registries_run_side_by_side) {
    registry_process a, b, c;
    EXPECT_EQ((std::set<std::uint16_t>{a.port(), b.port(), c.port()}).size(), 3u);
    for (auto* r : {&a, &b, &c}) {
        EXPECT_EQ(http_request("GET", r->base_url() + "/v2/").status, 200u);
    }
}

TEST(registry_lifecycle, registry_that_dies_is_noticed) {
    registry_process reg;
    ASSERT_EQ(::kill(reg.pid(), SIGKILL), 0);
    for (int i = 0; i < 200 && reg.running(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_FALSE(reg.running());
    reg.stop();
    EXPECT_FALSE(std::filesystem::exists(reg.dir()));
}

TEST(registry_lifecycle, start_failure_throws_with_the_log) {
    // A "registry" that exits at once: every attempt fails, the error names the attempts.
    ::setenv("ORAS_TEST_REGISTRY", "/bin/false", 1);
    try {
        registry_process reg;
        ::unsetenv("ORAS_TEST_REGISTRY");
        FAIL() << "expected a start failure";
    } catch (const std::runtime_error& e) {
        ::unsetenv("ORAS_TEST_REGISTRY");
        const std::string what = e.what();
        EXPECT_NE(what.find("attempt 1"), std::string::npos) << what;
        EXPECT_NE(what.find("exited with status 1"), std::string::npos) << what;
    }
}

}  // namespace
