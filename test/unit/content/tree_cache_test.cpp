#include <oras/error.hpp>

#include "content/tree_cache.hpp"

#include <oras/test/files.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
using oras::content::detail::archived_tree;
using oras::content::detail::clock_ns;
using oras::content::detail::fingerprint_file;
using oras::content::detail::fingerprint_tree;
using oras::content::detail::hashed_file;
using oras::content::detail::tree_cache;
using oras::test::temp_dir;
using oras::test::write_file;

// Past the granule in which the tree last changed, so that its fingerprint is settled.
void let_settle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
}

fs::path make_tree(const temp_dir& t) {
    const auto dir = t / "tree";
    write_file(dir / "a.txt", "alpha");
    write_file(dir / "sub/b.txt", "beta");
    fs::create_symlink("a.txt", dir / "link");
    let_settle();
    return dir;
}

archived_tree some_result() {
    return {oras::digest::of("compressed"), 10, oras::digest::of("tar")};
}

TEST(tree_cache, fingerprint_is_stable_for_an_unchanged_tree) {
    temp_dir t;
    const auto dir = make_tree(t);
    const auto a = fingerprint_tree(dir);
    const auto b = fingerprint_tree(dir);
    EXPECT_EQ(a.value, b.value);
    EXPECT_TRUE(a.settled);
}

TEST(tree_cache, fingerprint_changes_with_every_kind_of_change) {
    temp_dir t;
    const auto dir = make_tree(t);
    auto last = fingerprint_tree(dir).value;
    const auto changed = [&](const char* what) {
        const auto now = fingerprint_tree(dir).value;
        EXPECT_NE(now, last) << what;
        last = now;
    };
    write_file(dir / "a.txt", "ALPHA");  // same size, new content
    changed("content");
    fs::permissions(dir / "sub/b.txt", fs::perms::owner_read);
    changed("mode");
    fs::rename(dir / "sub/b.txt", dir / "sub/c.txt");
    changed("name");
    fs::remove(dir / "link");
    fs::create_symlink("sub", dir / "link");
    changed("symlink target");
    fs::create_directory(dir / "empty");
    changed("new directory");
    fs::remove(dir / "empty");
    changed("removed directory");
}

TEST(tree_cache, a_tree_changed_just_now_is_not_settled) {
    temp_dir t;
    write_file(t / "tree/fresh.txt", "x");
    EXPECT_FALSE(fingerprint_tree(t / "tree").settled);
}

TEST(tree_cache, fingerprint_of_what_is_not_a_directory_fails) {
    temp_dir t;
    write_file(t / "file", "x");
    EXPECT_THROW(
        {
            try {
                fingerprint_tree(t / "file");
            } catch (const oras::error& e) {
                EXPECT_EQ(e.code(), oras::errc::invalid_argument);
                throw;
            }
        },
        oras::error);
    EXPECT_THROW(fingerprint_tree(t / "missing"), oras::error);
}

TEST(tree_cache, remembers_per_directory_name_level_and_fingerprint) {
    temp_dir t;
    const auto dir = make_tree(t);
    const tree_cache cache(t / "cache/trees");
    const auto fp = fingerprint_tree(dir);
    EXPECT_FALSE(cache.find(dir, "tree", 6, fp.value));
    cache.remember(dir, "tree", 6, fp, some_result());
    EXPECT_EQ((fs::status(t / "cache/trees").permissions() & fs::perms::all), fs::perms::owner_all);

    const auto hit = cache.find(dir, "tree", 6, fp.value);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->compressed, some_result().compressed);
    EXPECT_EQ(hit->compressed_size, 10u);
    EXPECT_EQ(hit->tar, some_result().tar);

    EXPECT_FALSE(cache.find(dir, "other-title", 6, fp.value));
    EXPECT_FALSE(cache.find(dir, "tree", 9, fp.value));
    EXPECT_FALSE(cache.find(t / "cache", "tree", 6, fp.value));
    write_file(dir / "a.txt", "changed");
    EXPECT_FALSE(cache.find(dir, "tree", 6, fingerprint_tree(dir).value));
}

TEST(tree_cache, an_unsettled_tree_is_remembered_only_as_a_hint) {
    temp_dir t;
    write_file(t / "tree/fresh.txt", "x");
    const tree_cache cache(t / "trees");
    const auto fp = fingerprint_tree(t / "tree");
    ASSERT_FALSE(fp.settled);
    cache.remember(t / "tree", "tree", 6, fp, some_result());
    const auto hint = cache.find(t / "tree", "tree", 6, fp.value);
    ASSERT_TRUE(hint);
    EXPECT_FALSE(hint->settled);
    EXPECT_EQ(hint->compressed, some_result().compressed);

    let_settle();
    const auto later = fingerprint_tree(t / "tree");
    ASSERT_TRUE(later.settled);
    cache.remember(t / "tree", "tree", 6, later, some_result());
    EXPECT_TRUE(cache.find(t / "tree", "tree", 6, later.value)->settled);
}

TEST(tree_cache, a_damaged_entry_is_a_miss) {
    temp_dir t;
    const auto dir = make_tree(t);
    const tree_cache cache(t / "trees");
    const auto fp = fingerprint_tree(dir);
    cache.remember(dir, "tree", 6, fp, some_result());
    ASSERT_EQ(std::distance(fs::directory_iterator(t / "trees"), fs::directory_iterator()), 1);
    const auto entry = fs::directory_iterator(t / "trees")->path();
    const auto good = oras::test::read_file(entry);
    for (const auto* damage : {"", "garbage", "\n\n\n\n\n"}) {
        write_file(entry, damage);
        EXPECT_FALSE(cache.find(dir, "tree", 6, fp.value)) << damage;
    }
    auto bad_size = good;
    bad_size.replace(bad_size.find("\n10\n"), 4, "\n1x\n");
    write_file(entry, bad_size);
    EXPECT_FALSE(cache.find(dir, "tree", 6, fp.value));
    write_file(entry, good + "trailing\n");
    EXPECT_FALSE(cache.find(dir, "tree", 6, fp.value));
    write_file(entry, good);
    EXPECT_TRUE(cache.find(dir, "tree", 6, fp.value));
}

TEST(tree_cache, an_unwritable_cache_costs_nothing_but_the_entry) {
    temp_dir t;
    const auto dir = make_tree(t);
    write_file(t / "not-a-dir", "x");
    const tree_cache cache(t / "not-a-dir/trees");
    const auto fp = fingerprint_tree(dir);
    cache.remember(dir, "tree", 6, fp, some_result());  // does not throw
    EXPECT_FALSE(cache.find(dir, "tree", 6, fp.value));
}

TEST(tree_cache, entries_unused_for_the_max_age_are_removed_and_a_hit_counts_as_use) {
    temp_dir t;
    const auto one = make_tree(t);
    const auto two = t / "two";
    fs::create_directories(two);
    write_file(two / "x", "x");
    let_settle();
    const tree_cache cache(t / "trees", std::chrono::hours(24));
    const auto fp_one = fingerprint_tree(one);
    const auto fp_two = fingerprint_tree(two);
    cache.remember(one, "tree", 6, fp_one, some_result());
    const auto entry_one = fs::directory_iterator(t / "trees")->path();
    const auto age = [](const fs::path& p, std::chrono::hours h) {
        fs::last_write_time(p, fs::file_time_type::clock::now() - h);
    };
    // Used a day and a half ago, then found: kept.
    age(entry_one, std::chrono::hours(36));
    ASSERT_TRUE(cache.find(one, "tree", 6, fp_one.value));
    EXPECT_EQ(cache.trim(), 0u);
    // Unused for a day and a half, and a killed process's temporary file as old: both go when
    // the next entry is remembered.
    age(entry_one, std::chrono::hours(36));
    write_file(t / "trees" / ".tmp-left-behind", "partial");
    age(t / "trees" / ".tmp-left-behind", std::chrono::hours(36));
    cache.remember(two, "two", 6, fp_two, some_result());
    EXPECT_FALSE(fs::exists(entry_one));
    EXPECT_FALSE(fs::exists(t / "trees" / ".tmp-left-behind"));
    EXPECT_FALSE(cache.find(one, "tree", 6, fp_one.value));
    EXPECT_TRUE(cache.find(two, "two", 6, fp_two.value));
}

struct stat stat_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st;
}

// A file's fingerprint as of now, settled after the tree's granule (the default settling time,
// two seconds, is tested on its own).
oras::content::detail::tree_fingerprint file_fp(const fs::path& p) {
    return fingerprint_file(stat_of(p), clock_ns(), 20'000'000);
}

hashed_file some_digest() {
    return {oras::digest::of("file bytes"), 10};
}

TEST(tree_cache, a_file_fingerprint_changes_with_every_write_and_is_unsettled_just_after) {
    temp_dir t;
    write_file(t / "f", "alpha");
    EXPECT_FALSE(file_fp(t / "f").settled);
    let_settle();
    const auto a = file_fp(t / "f");
    EXPECT_TRUE(a.settled);
    EXPECT_EQ(file_fp(t / "f").value, a.value);
    // Same size, same mtime restored: the ctime still moves.
    const auto before = stat_of(t / "f");
    write_file(t / "f", "ALPHA");
    const timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, (t / "f").c_str(), times, 0), 0);
    EXPECT_NE(file_fp(t / "f").value, a.value);
    // Another file with the same bytes is another file.
    write_file(t / "g", "alpha");
    let_settle();
    EXPECT_NE(file_fp(t / "g").value, a.value);
}

TEST(tree_cache, a_file_settles_two_seconds_after_its_last_change_by_default) {
    temp_dir t;
    write_file(t / "f", "alpha");
    auto st = stat_of(t / "f");
    const auto now = clock_ns();
    // A write(2) is stamped when it starts: one still copying a second later shows no change.
    EXPECT_FALSE(fingerprint_file(st, now + 1'000'000'000).settled);
    EXPECT_TRUE(fingerprint_file(st, now + 2'100'000'000).settled);
    // Stamps in whole seconds: twice as long.
    st.st_mtim.tv_nsec = st.st_ctim.tv_nsec = 0;
    EXPECT_FALSE(fingerprint_file(st, now + 3'000'000'000).settled);
    EXPECT_TRUE(fingerprint_file(st, now + 4'100'000'000).settled);
    // The fingerprint itself does not depend on the clock.
    EXPECT_EQ(fingerprint_file(st, now).value, fingerprint_file(st, now + 9'000'000'000).value);
}

TEST(tree_cache, remembers_a_file_digest_per_path_and_fingerprint_and_only_when_settled) {
    temp_dir t;
    write_file(t / "f", "alpha");
    const tree_cache cache(t / "trees");
    const auto racy = file_fp(t / "f");
    ASSERT_FALSE(racy.settled);
    cache.remember_file(t / "f", racy, some_digest());
    EXPECT_FALSE(cache.find_file(t / "f", racy.value));

    let_settle();
    const auto fp = file_fp(t / "f");
    cache.remember_file(t / "f", fp, some_digest());
    const auto hit = cache.find_file(t / "f", fp.value);
    ASSERT_TRUE(hit);
    EXPECT_EQ(hit->digest, some_digest().digest);
    EXPECT_EQ(hit->size, 10u);
    // The same file by another spelling of its path.
    EXPECT_TRUE(cache.find_file(t / "." / "f", fp.value));
    EXPECT_FALSE(cache.find_file(t / "g", fp.value));
    cache.forget_file(t / "f");
    EXPECT_FALSE(cache.find_file(t / "f", fp.value));
    cache.remember_file(t / "f", fp, some_digest());
    write_file(t / "f", "other");
    EXPECT_FALSE(cache.find_file(t / "f", file_fp(t / "f").value));
}

TEST(tree_cache, entries_another_user_could_have_written_are_not_used) {
    temp_dir t;
    const auto dir = make_tree(t);
    write_file(t / "f", "alpha");
    let_settle();
    const tree_cache cache(t / "trees");
    const auto fp = file_fp(t / "f");
    const auto tree_fp = fingerprint_tree(dir);
    cache.remember_file(t / "f", fp, some_digest());
    cache.remember(dir, "tree", 6, tree_fp, some_result());
    ASSERT_TRUE(cache.find_file(t / "f", fp.value));
    ASSERT_TRUE(cache.find(dir, "tree", 6, tree_fp.value));

    // A cache directory others can write.
    fs::permissions(t / "trees", fs::perms::group_write, fs::perm_options::add);
    EXPECT_FALSE(cache.find_file(t / "f", fp.value));
    EXPECT_FALSE(cache.find(dir, "tree", 6, tree_fp.value));
    fs::permissions(t / "trees", fs::perms::group_write, fs::perm_options::remove);
    ASSERT_TRUE(cache.find_file(t / "f", fp.value));

    // An entry someone else owns (only root can make one here).
    if (::geteuid() == 0) {
        for (const auto& e : fs::directory_iterator(t / "trees")) {
            ASSERT_EQ(::chown(e.path().c_str(), 12345, 12345), 0);
        }
        EXPECT_FALSE(cache.find_file(t / "f", fp.value));
        EXPECT_FALSE(cache.find(dir, "tree", 6, tree_fp.value));
    }
}

TEST(tree_cache, a_damaged_file_entry_is_a_miss) {
    temp_dir t;
    write_file(t / "f", "alpha");
    let_settle();
    const tree_cache cache(t / "trees");
    const auto fp = file_fp(t / "f");
    cache.remember_file(t / "f", fp, some_digest());
    const auto entry = fs::directory_iterator(t / "trees")->path();
    const auto good = oras::test::read_file(entry);
    const auto head = "oras-cpp file digest v1\n" + fp.value.str() + "\n";
    ASSERT_EQ(good, head + some_digest().digest.str() + "\n10\n");
    for (const std::string& damage :
         {std::string(), std::string("garbage"), good.substr(0, good.size() - 1), good + "more\n",
          head + "sha256:abc\n10\n", head + some_digest().digest.str() + "\n1x\n"}) {
        write_file(entry, damage);
        EXPECT_FALSE(cache.find_file(t / "f", fp.value)) << damage;
    }
    write_file(entry, good);
    EXPECT_TRUE(cache.find_file(t / "f", fp.value));
}

}  // namespace
