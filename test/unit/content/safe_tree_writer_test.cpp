// The tree writer alone: names in, files out, never through a symlink or out of its root.
#include "content/safe_tree_writer.hpp"

#include <oras/error.hpp>

#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using oras::errc;
using oras::content::detail::safe_tree_writer;
using oras::content::detail::split_member_name;
using oras::content::detail::tree_writer_options;
using oras::test::temp_dir;
using parts = std::vector<std::string>;

std::string slurp(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write(safe_tree_writer& w, const parts& p, const std::string& body, std::int64_t mtime = 0) {
    w.begin_file(p, 0640, mtime, "member");
    w.write_file(std::as_bytes(std::span(body)));
    w.end_file();
}

// Every name under `root`, relative, sorted.
std::vector<std::string> listing(const fs::path& root) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        out.push_back(e.path().lexically_relative(root).string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

template <class F>
void expect_error(F f, errc code, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no error; expected " << needle;
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(split_member_name, components) {
    EXPECT_EQ(split_member_name("a/b", "m"), (parts{"a", "b"}));
    EXPECT_EQ(split_member_name("./a//b/", "m"), (parts{"a", "b"}));
    EXPECT_EQ(split_member_name(".", "m"), parts{});
    EXPECT_EQ(split_member_name("a..b/..c", "m"), (parts{"a..b", "..c"}));
    for (const auto& bad :
         std::vector<std::string>{"", "/a", "a/../b", "..", std::string("a\0b", 3)}) {
        expect_error([&] { split_member_name(bad, "member"); }, errc::invalid_response, "member");
    }
}

TEST(safe_tree_writer, files_directories_and_links) {
    temp_dir tmp;
    const auto root = tmp.path() / "new" / "root";
    {
        safe_tree_writer w(root);
        w.make_directory({"d"}, 0755, "d/");
        write(w, {"d", "f"}, "hello", 1'000'000'000);
        write(w, {"d", "sub", "g"}, "made with its parents");
        w.make_symlink({"d", "l"}, "f", "d/l");
        w.make_symlink({"d", "sub", "up"}, "../f", "d/sub/up");
        w.make_hard_link({"d", "h"}, "d/f", "d/h");
        w.make_directory({}, 0755, "./");  // the root itself: nothing to do
    }
    EXPECT_EQ(listing(root),
              (std::vector<std::string>{"d", "d/f", "d/h", "d/l", "d/sub", "d/sub/g", "d/sub/up"}));
    EXPECT_EQ(slurp(root / "d" / "f"), "hello");
    EXPECT_EQ(slurp(root / "d" / "sub" / "up"), "hello");
    EXPECT_EQ(fs::read_symlink(root / "d" / "l"), "f");
    EXPECT_TRUE(fs::equivalent(root / "d" / "h", root / "d" / "f"));
    struct stat st {};
    ASSERT_EQ(::stat((root / "d" / "f").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1'000'000'000);
    EXPECT_EQ(st.st_mode & 0700, 0600);
}

TEST(safe_tree_writer, never_goes_through_a_symlink) {
    temp_dir tmp;
    const auto root = tmp.path() / "root";
    fs::create_directories(root);
    fs::create_directories(tmp.path() / "outside");
    fs::create_directory_symlink(tmp.path() / "outside", root / "link");
    safe_tree_writer w(root);
    expect_error(
        [&] {
            write(w, {"link", "evil"}, "x");
        },
        errc::invalid_response, "goes through the symlink \"link\"");
    expect_error(
        [&] {
            w.make_directory({"link", "d"}, 0755, "link/d");
        },
        errc::invalid_response, "goes through the symlink");
    std::ofstream(root / "file") << "x";
    expect_error(
        [&] {
            write(w, {"file", "under"}, "x");
        },
        errc::invalid_response, "which is not a directory");
    EXPECT_TRUE(fs::is_empty(tmp.path() / "outside"));
}

TEST(safe_tree_writer, symlink_targets_stay_inside) {
    temp_dir tmp;
    safe_tree_writer w(tmp.path() / "root");
    struct {
        parts at;
        const char* target;
        const char* needle;
    } const cases[] = {
        {{"l"}, "/etc/passwd", "points to the absolute path"},
        {{"l"}, "../x", "outside the output directory"},
        {{"a", "l"}, "../../x", "outside the output directory"},
        {{"a", "l"}, "b/../../x", "has \"..\" after a name"},
        {{"l"}, "", "has an empty target"},
        {{}, "x", "names the output directory itself"},
    };
    for (const auto& c : cases) {
        expect_error([&] { w.make_symlink(c.at, c.target, "l"); }, errc::invalid_response,
                     c.needle);
    }
    EXPECT_TRUE(fs::is_empty(tmp.path() / "root"));
}

TEST(safe_tree_writer, required_prefix_confines_symlinks) {
    temp_dir tmp;
    safe_tree_writer w(tmp.path() / "root", {.required_prefix = "top"});
    w.make_symlink({"top", "a", "ok"}, "../b", "top/a/ok");
    expect_error(
        [&] {
            w.make_symlink({"top", "out"}, "../x", "top/out");
        },
        errc::invalid_response, "outside \"top\"");
    expect_error([&] { safe_tree_writer bad(tmp.path() / "r2", {.required_prefix = "."}); },
                 errc::invalid_argument, "names no directory");
}

TEST(safe_tree_writer, hard_links_only_to_files_it_made) {
    temp_dir tmp;
    const auto root = tmp.path() / "root";
    fs::create_directories(root);
    std::ofstream(root / "already") << "x";
    safe_tree_writer w(root);
    expect_error([&] { w.make_hard_link({"h"}, "already", "h"); }, errc::invalid_response,
                 "not a regular file extracted from this archive");
    w.make_directory({"d"}, 0755, "d");
    expect_error([&] { w.make_hard_link({"h"}, "d", "h"); }, errc::invalid_response,
                 "not a regular file extracted");
    EXPECT_FALSE(fs::exists(root / "h"));
}

TEST(safe_tree_writer, replaces_or_keeps_what_is_there) {
    temp_dir tmp;
    const auto root = tmp.path() / "root";
    {
        safe_tree_writer w(root);
        write(w, {"f"}, "one");
        write(w, {"f"}, "two");
        write(w, {"d"}, "file in the way");
        w.make_directory({"d"}, 0755, "d");
    }
    EXPECT_EQ(slurp(root / "f"), "two");
    EXPECT_TRUE(fs::is_directory(root / "d"));
    safe_tree_writer keep(root, {.keep_old_files = true});
    expect_error([&] { write(keep, {"f"}, "three"); }, errc::already_exists, "old files are kept");
    expect_error([&] { keep.make_symlink({"f"}, "d", "f"); }, errc::already_exists,
                 "old files are kept");
    EXPECT_EQ(slurp(root / "f"), "two");
    EXPECT_EQ(listing(root), (std::vector<std::string>{"d", "f"}));
}

TEST(safe_tree_writer, abandon_leaves_nothing_behind) {
    temp_dir tmp;
    const auto root = tmp.path() / "root";
    safe_tree_writer w(root);
    w.begin_file({"partial"}, 0644, 0, "partial");
    const std::string body = "half";
    w.write_file(std::as_bytes(std::span(body)));
    EXPECT_EQ(listing(root).size(), 1u);  // the temporary name
    w.abandon();
    EXPECT_TRUE(listing(root).empty());
}

}  // namespace
