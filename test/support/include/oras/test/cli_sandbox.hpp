// The command-line tool under test: a sandboxed oras-cpp process runner (private HOME, no
// secret left in what it printed or wrote) and the checks CLI tests share (one error line, JSON
// output). Needs ORAS_CPP_BINARY defined to the tool's path. Registry helpers for CLI tests
// are in test/integration/cli_sandbox.hpp.
#pragma once

#include <oras/test/files.hpp>
#include <oras/test/process.hpp>
#include <oras/test/secrets.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace oras::cli_test {

namespace fs = std::filesystem;
namespace json = boost::json;
using oras::test::pattern;
using oras::test::process_result;
using oras::test::read_file;
using oras::test::snapshot;
using oras::test::subset;
using oras::test::tree;
using oras::test::write_file;

/// `s` without its trailing newlines.
inline std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) {
        s.pop_back();
    }
    return s;
}

inline std::size_t count_lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

/// One test's directories: `home` (HOME and DOCKER_CONFIG of the CLI), `work` (its working
/// directory for pushes, holding what is pushed) and `scratch` (pull outputs go below it).
struct sandbox {
    oras::test::temp_dir tmp{"oras-cli-"};
    fs::path root = tmp.path();
    fs::path home = root / "home";
    fs::path work = root / "work";
    fs::path scratch = root / "scratch";
    /// `NAME=value` settings every oras-cpp run gets on top of the harness's environment.
    std::vector<std::string> env{};

    sandbox() {
        fs::create_directories(home / ".docker");
        fs::create_directories(work);
        fs::create_directories(scratch);
    }
    sandbox(const sandbox&) = delete;
    sandbox& operator=(const sandbox&) = delete;

    /// No password or token the harness handed out may be in any file the CLI left, except the
    /// credentials store (`login` writes it on purpose).
    ~sandbox() {
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(root, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (!it->is_regular_file() || it->is_symlink()
                || it->path() == home / ".docker" / "config.json" || it->file_size() > (8u << 20)) {
                continue;
            }
            if (auto s = oras::test::find_secret(read_file(it->path()))) {
                ADD_FAILURE() << "a secret (" << *s << ") is in " << it->path();
            }
        }
    }

    /// Runs oras-cpp in `cwd` (default: `work`) with a private HOME and no ORAS_USER/ORAS_PASS,
    /// killed (SIGKILL) after `timeout`.
    process_result oras(const std::vector<std::string>& args, std::string_view input = {},
                        const fs::path& cwd = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds{30}) const {
        std::vector<std::string> argv = {"env",
                                         "-u",
                                         "ORAS_USER",
                                         "-u",
                                         "ORAS_PASS",
                                         "-C",
                                         (cwd.empty() ? work : cwd).string(),
                                         "HOME=" + home.string(),
                                         "DOCKER_CONFIG=" + (home / ".docker").string()};
        argv.insert(argv.end(), env.begin(), env.end());
        argv.push_back(ORAS_CPP_BINARY);
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = oras::test::run_process(argv, input, timeout);
        expect_no_secret(r, args);
        return r;
    }

    /// No password or token the harness handed out may show in what the CLI printed.
    static void expect_no_secret(const process_result& r, const std::vector<std::string>& args) {
        for (const auto* stream : {&r.out, &r.err}) {
            if (auto s = oras::test::find_secret(*stream)) {
                std::string cmd;
                for (const auto& a : args) {
                    cmd += " " + a;
                }
                ADD_FAILURE() << "oras-cpp" << cmd << " printed a secret (" << *s << "):\n"
                              << *stream;
            }
        }
    }

    /// The typical pushed content: two files, and a directory with nested and empty
    /// subdirectories and symlinks.
    void make_content() const {
        write_file(work / "a.txt", "hello, oras\n");
        write_file(work / "data.bin", pattern(300 * 1024 + 17, 7));
        fs::create_directories(work / "tree/sub/deeper");
        fs::create_directories(work / "tree/empty");
        write_file(work / "tree/top.txt", "top of the tree\n");
        write_file(work / "tree/sub/deeper/leaf.bin", pattern(70'000, 3));
        write_file(work / "tree/sub/mid.txt", "");
        fs::create_symlink("sub/deeper/leaf.bin", work / "tree/link");
        fs::create_symlink("../top.txt", work / "tree/sub/up");
    }
    tree content() const { return subset(snapshot(work), {"a.txt", "data.bin", "tree"}); }
};

inline std::string dump(const process_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\n--- stdout\n" + r.out + "--- stderr\n"
           + r.err;
}

#define EXPECT_OK(r) EXPECT_EQ((r).exit_code, 0) << dump(r)
#define ASSERT_OK(r) ASSERT_EQ((r).exit_code, 0) << dump(r)

/// Exit code 1, nothing on stdout but `out` (a prompt), and one error line on stderr —
/// `Error: <ref>: <cause>` with `cause` in it — after whatever progress lines were printed
/// before the failure.
inline void expect_error(const process_result& r, const std::string& ref, const std::string& cause,
                         const std::string& out = {}) {
    EXPECT_EQ(r.exit_code, 1) << dump(r);
    EXPECT_EQ(r.out, out) << dump(r);
    ASSERT_TRUE(r.err.ends_with("\n")) << dump(r);
    const auto start = r.err.rfind('\n', r.err.size() - 2);
    const auto last = r.err.substr(start == std::string::npos ? 0 : start + 1);
    EXPECT_TRUE(last.starts_with("Error: " + ref + ": ")) << dump(r);
    EXPECT_NE(last.find(cause), std::string::npos) << "cause \"" << cause << "\"\n" << dump(r);
    std::size_t errors = 0;
    for (std::size_t pos = 0; (pos = r.err.find("Error", pos)) != std::string::npos; ++pos) {
        errors += pos == 0 || r.err[pos - 1] == '\n';
    }
    EXPECT_EQ(errors, 1u) << dump(r);
}

inline json::object parse_object(const std::string& text) {
    auto v = json::parse(text);
    return v.as_object();
}

inline std::string str(const json::value& v) {
    return std::string(v.as_string());
}

}  // namespace oras::cli_test
