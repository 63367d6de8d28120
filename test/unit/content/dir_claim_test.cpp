#include "content/dir_claim.hpp"
#include "content/file_paths.hpp"

#include <oras/test/files.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <set>
#include <string>

namespace {

namespace fs = std::filesystem;
using oras::content::detail::dir_claim;
using oras::content::detail::partial_path;
using oras::content::detail::partial_size;
using oras::content::detail::staging_dir;
using oras::content::detail::sweep_dead_owners;
using oras::content::detail::temp_file;
using oras::test::read_file;
using oras::test::write_file;

std::set<std::string> names_in(const fs::path& dir) {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        out.insert(e.path().filename().string());
    }
    return out;
}

std::size_t owner_files(const fs::path& dir) {
    std::size_t n = 0;
    for (const auto& name : names_in(dir)) {
        n += name.starts_with(".oras-owner-") ? 1 : 0;
    }
    return n;
}

const std::string dead = "0123456789abcdef";
const std::string live = "fedcba9876543210";

TEST(dir_claim, a_dead_owners_names_go_and_everything_else_stays) {
    oras::test::temp_dir t;
    const auto d = t.path();
    // A process that died: its owner file is there, unlocked.
    write_file(d / (".oras-owner-" + dead), "");
    fs::permissions(d / (".oras-owner-" + dead), fs::perms::owner_read | fs::perms::owner_write);
    write_file(d / (".a.txt.oras-" + dead + "-Ab12Cd"), "half of a.txt");
    fs::create_directories(d / (".oras-unpack-" + dead + "-xY34zW") / "tree" / "deep");
    write_file(d / (".oras-unpack-" + dead + "-xY34zW") / "tree" / "deep" / "f", "unpacked");
    write_file(d / (".oras-tmp-" + dead + "-qwerty"), "a layout blob");
    // A process still running: its owner file is locked.
    write_file(d / (".oras-owner-" + live), "");
    fs::permissions(d / (".oras-owner-" + live), fs::perms::owner_read | fs::perms::owner_write);
    const int held = ::open((d / (".oras-owner-" + live)).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
    write_file(d / (".b.txt.oras-" + live + "-Zz99Zz"), "being written");
    // Names no claim made: a partial file to continue from, the user's own files, and names
    // that only look like a dead owner's.
    const std::string partial = ".big.bin.oras-partial-0123456789abcdef0123456789abcdef";
    write_file(d / partial, "the start of big.bin");
    write_file(d / ".hidden", "mine");
    write_file(d / ("a.txt.oras-" + dead + "-Ab12Cd"), "not hidden");
    write_file(d / (".c.oras-" + dead + "-toolong1"), "wrong length");
    write_file(d / "a.txt", "a");
    // An owner file whose token is not one this library makes, and a file named like an owner
    // file but with a pulled file's mode: never taken for a dead owner.
    write_file(d / ".oras-owner-x", "");
    const std::string pulled = "0000000000000000";
    write_file(d / (".oras-owner-" + pulled), "");
    fs::permissions(d / (".oras-owner-" + pulled), fs::perms::owner_read | fs::perms::owner_write
                                                       | fs::perms::group_read
                                                       | fs::perms::others_read);
    write_file(d / (".d.oras-" + pulled + "-Ab12Cd"), "pulled too");

    EXPECT_EQ(sweep_dead_owners(d), 3u);
    EXPECT_EQ(names_in(d), (std::set<std::string>{
                               ".oras-owner-" + live,
                               ".b.txt.oras-" + live + "-Zz99Zz",
                               partial,
                               ".hidden",
                               "a.txt.oras-" + dead + "-Ab12Cd",
                               ".c.oras-" + dead + "-toolong1",
                               "a.txt",
                               ".oras-owner-x",
                               ".oras-owner-" + pulled,
                               ".d.oras-" + pulled + "-Ab12Cd",
                           }));
    ::close(held);
    // Its owner gone, the live process's file goes at the next sweep.
    EXPECT_EQ(sweep_dead_owners(d), 1u);
    EXPECT_FALSE(fs::exists(d / (".b.txt.oras-" + live + "-Zz99Zz")));
    EXPECT_FALSE(fs::exists(d / (".oras-owner-" + live)));
    EXPECT_TRUE(fs::exists(d / partial));
}

TEST(dir_claim, claimed_names_are_told_from_others) {
    using oras::content::detail::is_claimed_name;
    EXPECT_TRUE(is_claimed_name(".oras-owner-" + dead));
    EXPECT_TRUE(is_claimed_name(".a.txt.oras-" + dead + "-Ab12Cd"));
    EXPECT_TRUE(is_claimed_name(".oras-unpack-" + dead + "-xY34zW"));
    EXPECT_FALSE(is_claimed_name(".oras-owner-x"));
    EXPECT_FALSE(is_claimed_name(".a.txt.oras-XYZ456"));  // before claims
    EXPECT_FALSE(is_claimed_name("a.txt.oras-" + dead + "-Ab12Cd"));
    EXPECT_FALSE(is_claimed_name(".a.oras-0123456789ABCDEF-Ab12Cd"));  // not lowercase hex
    EXPECT_FALSE(is_claimed_name(".big.bin.oras-partial-0123456789abcdef0123456789abcdef"));
}

TEST(dir_claim, claims_in_one_process_share_one_locked_owner_file_removed_with_the_last) {
    oras::test::temp_dir t;
    const auto d = t.path();
    {
        const dir_claim one(d);
        const dir_claim two(d);
        EXPECT_EQ(one.token(), two.token());
        EXPECT_EQ(one.token().size(), 16u);
        EXPECT_EQ(names_in(d), std::set<std::string>{".oras-owner-" + one.token()});
        EXPECT_EQ(one.name_template(".x.oras"),
                  (d / (".x.oras-" + one.token() + "-XXXXXX")).string());
        // Held: a sweep (here from this process, as another process would) leaves it.
        EXPECT_EQ(sweep_dead_owners(d), 0u);
        EXPECT_EQ(owner_files(d), 1u);
    }
    EXPECT_TRUE(names_in(d).empty());
}

TEST(dir_claim, what_a_killed_process_was_writing_is_removed_by_the_next_claim) {
    oras::test::temp_dir t;
    const auto d = t.path();
    // A child writes a file and a staging directory, then dies without running a destructor,
    // as SIGKILL would leave it.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        auto* file = new temp_file(d / "out.bin");
        file->write(std::as_bytes(std::span(std::string_view("half"))));
        new staging_dir(d);
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(names_in(d).size(), 3u);  // the owner file, the file, the staging directory
    EXPECT_EQ(owner_files(d), 1u);

    // This process's first claim on the directory sweeps it.
    {
        temp_file next(d / "out.bin");
        next.write(std::as_bytes(std::span(std::string_view("whole"))));
        next.commit(false);
    }
    EXPECT_EQ(names_in(d), std::set<std::string>{"out.bin"});
    EXPECT_EQ(read_file(d / "out.bin"), "whole");
}

// A child finishes a large file (closed, not yet published) and dies: what it wrote waits under
// a kept name of its own, then goes back to the stable partial name for the next process.
pid_t finish_and_die(const fs::path& dest, const std::string& tag, const std::string& data) {
    const pid_t child = ::fork();
    if (child == 0) {
        auto* file = new temp_file(dest, tag);
        file->write(std::as_bytes(std::span(std::string_view(data))));
        file->close(false);
        ::_exit(0);
    }
    return child;
}

TEST(dir_claim, a_whole_file_a_killed_process_never_published_goes_back_to_its_stable_name) {
    oras::test::temp_dir t;
    const auto d = t.path();
    const auto dest = d / "big.bin";
    const std::string tag(32, 'a');
    const pid_t child = finish_and_die(dest, tag, "all of it");
    ASSERT_GE(child, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(status, 0);
    const auto stable = partial_path(dest, tag).filename().string();
    const auto left = names_in(d);
    ASSERT_EQ(left.size(), 2u);  // the owner file, the kept name
    EXPECT_EQ(owner_files(d), 1u);
    EXPECT_EQ(std::count_if(left.begin(), left.end(),
                            [&](const std::string& n) { return n.starts_with(stable + ".kept-"); }),
              1);

    // Asking for the partial file sweeps: it is back, whole, and taken up as it is.
    EXPECT_EQ(partial_size(dest, tag), 9u);
    EXPECT_EQ(names_in(d), std::set<std::string>{stable});
    temp_file next(dest, tag);
    EXPECT_EQ(next.size_at_open(), 9u);
    EXPECT_EQ(next.path(), partial_path(dest, tag).string());
}

TEST(dir_claim, a_kept_name_never_replaces_a_file_at_its_stable_name) {
    oras::test::temp_dir t;
    const auto d = t.path();
    const auto dest = d / "big.bin";
    const std::string tag(32, 'b');
    const pid_t child = finish_and_die(dest, tag, "finished");
    ASSERT_GE(child, 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    // Another process's partial file took the stable name meanwhile: it stays as it is, and the
    // dead owner's file goes.
    write_file(partial_path(dest, tag), "another");
    EXPECT_EQ(sweep_dead_owners(d), 1u);
    EXPECT_EQ(names_in(d), std::set<std::string>{partial_path(dest, tag).filename().string()});
    EXPECT_EQ(read_file(partial_path(dest, tag)), "another");
}

TEST(dir_claim, a_kept_name_too_long_to_fit_is_an_ordinary_temporary_name) {
    oras::test::temp_dir t;
    const dir_claim claim(t.path());
    EXPECT_TRUE(claim.kept_template(std::string(230, 'k')).empty());
    const auto fits = claim.kept_template(std::string(200, 'k'));
    ASSERT_FALSE(fits.empty());
    EXPECT_LE(fs::path(fits).filename().string().size(), 255u);
    // A finished large file whose name leaves no room: under a name of its own, swept as any.
    const auto dest = t.path() / std::string(200, 'n');
    temp_file f(dest, std::string(32, 'c'));
    f.write(std::as_bytes(std::span(std::string_view("long"))));
    f.close(false);
    EXPECT_EQ(fs::path(f.path()).filename().string().find(".kept-"), std::string::npos);
    EXPECT_TRUE(oras::content::detail::is_claimed_name(fs::path(f.path()).filename().string()));
}

TEST(dir_claim, a_temporary_name_for_a_long_file_name_still_fits) {
    oras::test::temp_dir t;
    const std::string name = std::string(240, 'n') + "\xC3\xA9" + std::string(8, 'e');  // 250 B
    {
        temp_file f(t.path() / name);
        EXPECT_LE(fs::path(f.path()).filename().string().size(), 255u);
        f.write(std::as_bytes(std::span(std::string_view("long"))));
        f.commit(false);
    }
    EXPECT_EQ(read_file(t.path() / name), "long");
    EXPECT_EQ(names_in(t.path()), std::set<std::string>{name});
}

}  // namespace
