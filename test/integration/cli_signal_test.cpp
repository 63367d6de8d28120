// SIGKILL against the CLI pulling from a real registry, at every point: no partial file under a
// title, and the next pull completes and clears what the killed ones left. SIGINT and SIGTERM
// against a scripted registry that stalls on purpose: test/transport/cli_signal_test.cpp.
#include "cli_sandbox.hpp"

#include <oras/image_manifest.hpp>

#include <csignal>
#include <map>
#include <mutex>

namespace oras::cli_test {
namespace {

using namespace std::chrono_literals;

// SIGKILL cannot be handled: whatever a pull had written stays where it was. At every point it
// is killed, a file under a title must be absent or complete; the next pull completes (large
// files continue from what the killed ones wrote, a file written directly past 32 MiB among them).
TEST(cli_signals, a_pull_killed_anywhere_leaves_no_partial_file_under_a_title) {
    oras::test::registry_process reg;
    sandbox s;
    std::map<std::string, std::string> files;
    for (int i = 0; i < 3; ++i) {
        files["big-" + std::to_string(i) + ".bin"] =
            pattern(6 * 1024 * 1024 + static_cast<std::size_t>(i), static_cast<unsigned>(i));
    }
    for (int i = 0; i < 20; ++i) {
        files["small-" + std::to_string(i) + ".txt"] = "small file " + std::to_string(i) + "\n";
    }
    // Past 32 MiB: written directly from a thread of its own, cut wherever the kill lands.
    files["huge.bin"] = pattern(40 * 1024 * 1024 + 9, 99);
    std::vector<std::string> push = {"push", reg.host() + "/cli/killed:v1", "--no-tty"};
    for (const auto& [name, content] : files) {
        write_file(s.work / name, content);
        push.push_back(name);
    }
    ASSERT_OK(s.oras(push));
    const auto out = s.scratch / "out";
    const auto pull_cmd = [&](const std::string& delay) {
        return "cd '" + s.work.string() + "' && HOME='" + s.home.string() + "' DOCKER_CONFIG='"
               + (s.home / ".docker").string() + "' '" ORAS_CPP_BINARY "' pull '" + reg.host()
               + "/cli/killed:v1' -o '" + out.string() + "' --no-tty & pid=$!; sleep " + delay
               + "; kill -9 $pid 2>/dev/null; wait $pid; exit 0";
    };
    for (const std::string delay :
         {"0.005", "0.02", "0.04", "0.06", "0.08", "0.1", "0.15", "0.3"}) {
        const auto r = oras::test::run_process({"sh", "-c", pull_cmd(delay)}, {}, 40s);
        ASSERT_EQ(r.exit_code, 0) << dump(r);
        for (const auto& [name, content] : files) {
            const auto p = out / name;
            if (fs::exists(p)) {
                EXPECT_EQ(read_file(p), content) << name << " after a kill at " << delay << " s";
            }
        }
    }
    ASSERT_OK(s.oras({"pull", reg.host() + "/cli/killed:v1", "-o", out.string(), "--no-tty"}));
    for (const auto& [name, content] : files) {
        EXPECT_EQ(read_file(out / name), content) << name;
    }
    // What the killed pulls left to continue from was used up, and what they left under names
    // of their own (files waiting for the batched sync, owner files) was removed: only the
    // titles remain.
    for (const auto& e : fs::directory_iterator(out)) {
        EXPECT_TRUE(files.contains(e.path().filename().string())) << e.path();
    }
}

// The same for `blob fetch -o FILE` over an older FILE: after every kill FILE is the old file or
// the whole blob, and the next fetch completes, continuing what the killed ones wrote.
TEST(cli_signals, a_blob_fetch_killed_anywhere_leaves_the_old_file_or_the_new) {
    oras::test::registry_process reg;
    sandbox s;
    const auto blob = pattern(40 * 1024 * 1024 + 3, 41);
    write_file(s.work / "blob.bin", blob);
    const std::string repo = reg.host() + "/cli/killed-fetch";
    const auto ref = repo + "@" + oras::digest::of(blob).str();
    ASSERT_OK(s.oras({"blob", "push", repo, "blob.bin"}));
    const auto dir = s.scratch / "fetched";
    fs::create_directories(dir);
    const auto out = dir / "blob.out";
    write_file(out, "old");
    const auto fetch_cmd = [&](const std::string& delay) {
        return "HOME='" + s.home.string() + "' DOCKER_CONFIG='" + (s.home / ".docker").string()
               + "' '" ORAS_CPP_BINARY "' blob fetch -o '" + out.string() + "' '" + ref
               + "' & pid=$!; sleep " + delay + "; kill -9 $pid 2>/dev/null; wait $pid; exit 0";
    };
    for (const std::string delay : {"0.005", "0.02", "0.05", "0.1", "0.2"}) {
        const auto r = oras::test::run_process({"sh", "-c", fetch_cmd(delay)}, {}, 40s);
        ASSERT_EQ(r.exit_code, 0) << dump(r);
        const auto now = read_file(out);
        EXPECT_TRUE(now == "old" || now == blob) << "after a kill at " << delay << " s";
    }
    ASSERT_OK(s.oras({"blob", "fetch", "-o", out.string(), ref}));
    EXPECT_TRUE(read_file(out) == blob);
    for (const auto& e : fs::directory_iterator(dir)) {
        EXPECT_EQ(e.path(), out);  // partial and owner files used up or removed
    }
}

}  // namespace
}  // namespace oras::cli_test
