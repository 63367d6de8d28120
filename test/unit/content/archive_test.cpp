#include "content/directory_archive.hpp"
#include "content/gzip.hpp"
#include "content/tar_builder.hpp"
#include "content/tar_extractor.hpp"

#include <oras/digest.hpp>
#include <oras/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::errc;
using oras::content::detail::archive_options;
using oras::content::detail::directory_archive;
using oras::content::detail::gzip_decoder;
using oras::content::detail::gzip_encoder;
using oras::content::detail::tar_extractor;
using oras::content::detail::unpack_options;
using oras::test::read_file;
using oras::test::run;
using oras::test::tar_builder;
using oras::test::temp_dir;

void write_file(const fs::path& p, const std::string& content) {
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary | std::ios::trunc);
    f << content;
}

std::span<const std::byte> bytes(const std::string& s) {
    return std::as_bytes(std::span(s));
}

std::string to_string(const std::vector<std::byte>& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size());
}

// Not compressible to nothing, so that the gzip layer really works.
std::string pseudo_random(std::size_t n, std::uint32_t seed) {
    std::string s(n, '\0');
    std::uint32_t x = seed;
    for (auto& c : s) {
        x = x * 1664525u + 1013904223u;
        c = static_cast<char>((x >> 24) % 16 + 'a');  // 4 bits of entropy a byte
    }
    return s;
}

// The whole compressed archive of `dir`, read `chunk` bytes at a time.
std::string archive_of(directory_archive& a, std::size_t chunk = 64 * 1024) {
    std::string out;
    std::vector<std::byte> buf(chunk);
    for (;;) {
        const auto n = a.read(buf);
        if (n == 0) {
            return out;
        }
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
}

std::string archive_of(const fs::path& dir, std::size_t chunk = 64 * 1024) {
    directory_archive a(dir);
    return archive_of(a, chunk);
}

void extract(const std::string& tgz, const fs::path& out, unpack_options opts = {},
             std::size_t chunk = 4097) {
    tar_extractor x(out, std::move(opts));
    for (std::size_t pos = 0; pos < tgz.size(); pos += chunk) {
        x.write(bytes(tgz).subspan(pos, std::min(chunk, tgz.size() - pos)));
    }
    x.finish();
}

// Type, content or target, and exec bit of everything under `root`, keyed by relative path.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> m;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        const auto rel = fs::relative(it->path(), root).string();
        const auto st = it->symlink_status();
        if (fs::is_symlink(st)) {
            m[rel] = "link:" + fs::read_symlink(it->path()).string();
        } else if (fs::is_directory(st)) {
            m[rel] = "dir";
        } else {
            const bool exec = (st.permissions() & fs::perms::owner_exec) != fs::perms::none;
            m[rel] = std::string(exec ? "x:" : "f:") + read_file(it->path());
        }
    }
    return m;
}

// Every path under `root`, without descending into `except`.
std::vector<std::string> listing(const fs::path& root, const fs::path& except = {}) {
    std::vector<std::string> v;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        v.push_back(fs::relative(it->path(), root).string());
        if (!except.empty() && it->path() == except) {
            it.disable_recursion_pending();
        }
    }
    std::sort(v.begin(), v.end());
    return v;
}

class archive_tree : public ::testing::Test {
  protected:
    void SetUp() override {
        src = tmp.path() / "tree";
        write_file(src / "a.txt", "hello\n");
        write_file(src / "empty.txt", "");
        fs::create_directories(src / "empty_dir");
        write_file(src / "nested" / "deep" / "er" / "file.bin", pseudo_random(1000, 1));
        write_file(src / "big.bin", pseudo_random(3 * 1024 * 1024, 2));
        write_file(src / "run.sh", "#!/bin/sh\n");
        fs::permissions(src / "run.sh", fs::perms::owner_all | fs::perms::group_read,
                        fs::perm_options::replace);
        write_file(src / "\xc3\xa9t\xc3\xa9.txt", "utf-8 name\n");
        write_file(src / std::string(120, 'n') / std::string(110, 'm'), "long name\n");
        fs::create_directory_symlink("nested/deep", src / "link_dir");
        fs::create_symlink("a.txt", src / "link_file");
    }

    temp_dir tmp;
    fs::path src;
};

TEST_F(archive_tree, round_trip) {
    directory_archive a(src);
    EXPECT_EQ(a.name(), "tree");
    const auto tgz = archive_of(a);
    ASSERT_TRUE(a.done());
    EXPECT_EQ(a.compressed_size(), tgz.size());
    EXPECT_EQ(a.compressed_digest(), oras::digest::of(std::string_view(tgz)));

    const auto out = tmp.path() / "out";
    extract(tgz, out, {.expected_tar_digest = a.tar_digest().str()});
    EXPECT_EQ(listing(out).front(), "tree");
    EXPECT_EQ(snapshot(out / "tree"), snapshot(src));
    EXPECT_EQ(read_file(out / "tree" / "big.bin").size(), 3u * 1024 * 1024);
    EXPECT_EQ(fs::read_symlink(out / "tree" / "link_dir"), "nested/deep");
    // No temp file left behind.
    for (const auto& e : fs::recursive_directory_iterator(out)) {
        EXPECT_EQ(e.path().filename().string().find(".oras-tmp"), std::string::npos) << e.path();
    }
}

// A pull into the tree (killed, or running) leaves files under this library's temporary names:
// never content, so never pushed. Names that merely look alike are content.
TEST_F(archive_tree, this_librarys_temporary_files_are_left_out) {
    const auto clean = archive_of(src);
    const std::string token = "0123456789abcdef";
    const std::vector<fs::path> internal = {
        src / (".a.txt.oras-partial-" + std::string(32, 'e')),
        src / (".oras-owner-" + token),
        src / "nested" / (".b.bin.oras-" + token + "-Ab12Cd"),
    };
    for (const auto& p : internal) {
        write_file(p, "half of something");
    }
    EXPECT_EQ(archive_of(src), clean);

    write_file(src / ".a.txt.oras-partial-not-a-tag", "content");
    write_file(src / "nested" / "a.oras-partial-0123", "content");
    const auto out = tmp.path() / "out";
    extract(archive_of(src), out, {});
    EXPECT_EQ(read_file(out / "tree" / ".a.txt.oras-partial-not-a-tag"), "content");
    EXPECT_EQ(read_file(out / "tree" / "nested" / "a.oras-partial-0123"), "content");
    for (const auto& p : internal) {
        EXPECT_FALSE(fs::exists(out / "tree" / p.lexically_relative(src))) << p;
    }
}

TEST_F(archive_tree, tar_digest_is_the_digest_of_the_uncompressed_tar) {
    directory_archive a(src);
    const auto tgz = archive_of(a);
    const auto tar = gzip_decoder::decompress(bytes(tgz));
    EXPECT_EQ(a.tar_digest(), oras::digest::of(std::span<const std::byte>(tar)));
    EXPECT_EQ(a.tar_size(), tar.size());
    // ustar blocks, ending with exactly the two zero blocks: no padding to 10 KiB records.
    ASSERT_EQ(tar.size() % 512, 0u);
    ASSERT_GE(tar.size(), 1536u);
    EXPECT_TRUE(
        std::all_of(tar.end() - 1024, tar.end(), [](std::byte b) { return b == std::byte{0}; }));
    EXPECT_FALSE(std::all_of(tar.end() - 1536, tar.end() - 1024,
                             [](std::byte b) { return b == std::byte{0}; }));
    // The first member is the directory itself, a ustar header.
    const auto text = to_string(tar);
    EXPECT_EQ(text.substr(0, 6), std::string("tree/\0", 6));
    EXPECT_EQ(text[156], '5');
    EXPECT_EQ(text.substr(257, 6), std::string("ustar\0", 6));
    EXPECT_EQ(text.substr(265, 32), std::string(32, '\0'));  // no user name
    // Fixed gzip header: deflate, no flags, mtime 0, OS 255.
    ASSERT_GE(tgz.size(), 10u);
    EXPECT_EQ(tgz.substr(0, 8), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00", 8));
    EXPECT_EQ(static_cast<unsigned char>(tgz[9]), 255);
}

TEST_F(archive_tree, reproducible) {
    const auto first = archive_of(src, 64 * 1024);
    // Other read sizes, other times, other locale: same bytes.
    const auto t = fs::file_time_type::clock::now() - std::chrono::hours(1000);
    for (const auto& e : fs::recursive_directory_iterator(src)) {
        if (!e.is_symlink()) {
            fs::last_write_time(e.path(), t);
        }
    }
    fs::last_write_time(src, t);
    const auto second = archive_of(src, 1000);
    EXPECT_TRUE(first == second);

    const std::string old = std::setlocale(LC_ALL, nullptr);
    if (std::setlocale(LC_ALL, "C.UTF-8") != nullptr) {
        const auto third = archive_of(src, 1 << 20);
        std::setlocale(LC_ALL, old.c_str());
        EXPECT_TRUE(first == third);
    }
}

TEST_F(archive_tree, rewind_starts_again) {
    directory_archive a(src);
    std::vector<std::byte> buf(100000);
    ASSERT_GT(a.read(buf), 0u);
    ASSERT_GT(a.read(buf), 0u);
    a.rewind();
    EXPECT_FALSE(a.done());
    const auto again = archive_of(a);
    EXPECT_TRUE(again == archive_of(src));

    // Through the byte_source, as push_unknown sees it.
    auto r = a.reader();
    r.rewind();
    asio::io_context io;
    const auto via_reader = run(io, [&]() -> asio::awaitable<std::string> {
        std::string s;
        std::vector<std::byte> b(8192);
        for (;;) {
            const auto n = co_await r.read(b);
            if (n == 0) {
                co_return s;
            }
            s.append(reinterpret_cast<const char*>(b.data()), n);
        }
    }());
    EXPECT_TRUE(via_reader == again);
}

TEST_F(archive_tree, system_tar_reads_it) {
    // GNU tar is an essential package on Debian: its absence is a broken machine, not a skip.
    ASSERT_EQ(std::system("tar --version >/dev/null 2>&1"), 0) << "tar is missing";
    const auto file = tmp.path() / "layer.tar.gz";
    write_file(file, archive_of(src));
    const auto list = tmp.path() / "list.txt";
    const auto cmd = "tar -tvzf '" + file.string() + "' > '" + list.string() + "' 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(list);
    std::istringstream lines(read_file(list));
    std::vector<std::string> names;
    for (std::string line; std::getline(lines, line);) {
        EXPECT_NE(line.find(" 0/0 "), std::string::npos) << line;
        EXPECT_NE(line.find("1970-01-01 00:00"), std::string::npos) << line;
        names.push_back(line.substr(line.find("tree")));
    }
    const std::vector<std::string> expected_head = {
        "tree/",
        "tree/a.txt",
        "tree/big.bin",
        "tree/empty.txt",
        "tree/empty_dir/",
        "tree/link_dir -> nested/deep",
        "tree/link_file -> a.txt",
    };
    ASSERT_GE(names.size(), expected_head.size());
    EXPECT_EQ(std::vector<std::string>(names.begin(), names.begin() + 7), expected_head);
    // Depth first, each directory sorted, as filepath.Walk visits.
    const auto nested = std::find(names.begin(), names.end(), "tree/nested/");
    ASSERT_NE(nested, names.end());
    EXPECT_EQ(*(nested + 1), "tree/nested/deep/");
    EXPECT_EQ(*(nested + 3), "tree/nested/deep/er/file.bin");
    // tar escapes non-ASCII bytes under the C locale.
    EXPECT_TRUE(names.back() == "tree/\xc3\xa9t\xc3\xa9.txt"
                || names.back() == "tree/\\303\\251t\\303\\251.txt")
        << names.back();

    // And GNU tar extracts the same tree.
    const auto out = tmp.path() / "by_tar";
    fs::create_directories(out);
    const auto x = "tar -xzf '" + file.string() + "' -C '" + out.string() + "'";
    ASSERT_EQ(std::system(x.c_str()), 0);
    EXPECT_EQ(snapshot(out / "tree"), snapshot(src));
}

TEST_F(archive_tree, name_option_and_trailing_slash) {
    directory_archive a(src / "", archive_options{.name = "layer"});
    EXPECT_EQ(a.name(), "layer");
    const auto out = tmp.path() / "out";
    extract(archive_of(a), out);
    EXPECT_EQ(snapshot(out / "layer"), snapshot(src));
    EXPECT_EQ(directory_archive(src / "").name(), "tree");
    // A nested title names nested members, extracted under it.
    directory_archive nested(src, archive_options{.name = "site/assets"});
    extract(archive_of(nested), tmp.path() / "nested");
    EXPECT_EQ(snapshot(tmp.path() / "nested" / "site" / "assets"), snapshot(src));
    for (const char* bad : {"../a", "/a", "a/./b", "a//b", "a/..", "a/"}) {
        EXPECT_THROW(directory_archive(src, archive_options{.name = bad}), oras::error) << bad;
    }
    EXPECT_THROW(directory_archive(src / "a.txt"), oras::error);
}

TEST_F(archive_tree, special_files_are_refused) {
    ASSERT_EQ(::mkfifo((src / "fifo").c_str(), 0644), 0);
    directory_archive a(src);
    try {
        archive_of(a);
        FAIL() << "a fifo was archived";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("\"tree/fifo\""), std::string::npos) << e.what();
    }
}

TEST_F(archive_tree, wrong_expected_digest_is_a_digest_mismatch) {
    directory_archive a(src);
    const auto tgz = archive_of(a);
    unpack_options o;
    o.expected_tar_digest = oras::digest::of(std::string_view("other")).str();
    try {
        extract(tgz, tmp.path() / "out", o);
        FAIL() << "digest mismatch not reported";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::digest_mismatch);
    }
    o.expected_tar_digest = "sha256:nothex";
    EXPECT_THROW(tar_extractor(tmp.path() / "out2", o), oras::error);
}

TEST_F(archive_tree, keep_old_files_refuses_to_overwrite) {
    const auto tgz = archive_of(src);
    const auto out = tmp.path() / "out";
    write_file(out / "tree" / "a.txt", "mine\n");
    try {
        extract(tgz, out, {.keep_old_files = true});
        FAIL() << "overwrote a.txt";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::already_exists);
        EXPECT_NE(std::string(e.what()).find("tree/a.txt"), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(out / "tree" / "a.txt"), "mine\n");
    // Without the option the file is replaced, and so is everything else.
    extract(tgz, out);
    EXPECT_EQ(read_file(out / "tree" / "a.txt"), "hello\n");
    extract(tgz, out);  // twice: symlinks and files replaced again
    EXPECT_EQ(snapshot(out / "tree"), snapshot(src));
}

TEST_F(archive_tree, keep_old_files_refusal_takes_back_what_it_extracted) {
    const auto tgz = archive_of(src);
    const auto out = tmp.path() / "out";
    // run.sh comes late in the archive: most members are out before the refusal.
    write_file(out / "tree" / "run.sh", "mine\n");
    write_file(out / "tree" / "nested" / "old.txt", "old\n");
    const auto before = snapshot(out);
    try {
        extract(tgz, out, {.keep_old_files = true});
        FAIL() << "overwrote run.sh";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::already_exists);
        EXPECT_NE(std::string(e.what()).find("tree/run.sh"), std::string::npos) << e.what();
    }
    // Nothing new stays, directories included; what was there is untouched.
    EXPECT_EQ(snapshot(out), before);
    EXPECT_FALSE(fs::exists(out / "tree" / "nested" / "deep"));
    EXPECT_FALSE(fs::exists(fs::symlink_status(out / "tree" / "link_file")));
    EXPECT_TRUE(fs::exists(out / "tree" / "nested"));
}

TEST_F(archive_tree, keep_old_files_extraction_abandoned_mid_way_is_taken_back) {
    const auto tgz = archive_of(src);
    const auto out = tmp.path() / "out";
    write_file(out / "tree" / "mine.txt", "mine\n");
    const auto before = snapshot(out);
    {
        // The source fails after half the layer: the extractor is dropped unfinished.
        tar_extractor x(out, {.keep_old_files = true});
        x.write(bytes(tgz).first(tgz.size() / 2));
        EXPECT_TRUE(fs::exists(out / "tree" / "a.txt"));
    }
    EXPECT_EQ(snapshot(out), before);
    {
        tar_extractor x(out, {.keep_old_files = true});
        x.write(bytes(tgz));
        x.finish();
    }
    EXPECT_EQ(read_file(out / "tree" / "a.txt"), "hello\n");  // finished: it stays
}

TEST_F(archive_tree, unpack_reads_a_read_fn) {
    auto a = std::make_shared<directory_archive>(src);
    asio::io_context io;
    const auto out = tmp.path() / "out";
    auto next = [r = a->reader()](std::span<std::byte> buf) { return r.read(buf); };
    const auto d = run(io, oras::content::detail::unpack(next, out));
    EXPECT_EQ(d, a->tar_digest());
    EXPECT_EQ(snapshot(out / "tree"), snapshot(src));
}

// ---- archives built by hand

class archive_hostile : public ::testing::Test {
  protected:
    void SetUp() override {
        sandbox = tmp.path() / "sandbox";
        out = sandbox / "deep" / "out";
        fs::create_directories(out);
    }

    // Extracting `tgz` fails with `code`, and nothing appears outside `out`.
    void refused(const std::string& tgz, errc code = errc::invalid_response,
                 const std::string& needle = {}) {
        try {
            extract(tgz, out);
            ADD_FAILURE() << "extracted";
        } catch (const oras::error& e) {
            EXPECT_EQ(e.code(), code) << e.what();
            if (!needle.empty()) {
                EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            }
        }
        const std::vector<std::string> only = {"deep", "deep/out"};
        EXPECT_EQ(listing(sandbox, out), only);
        EXPECT_FALSE(fs::exists(tmp.path() / "evil"));
        EXPECT_FALSE(fs::exists(tmp.path() / "outside"));
    }

    temp_dir tmp;
    fs::path sandbox;
    fs::path out;
};

TEST_F(archive_hostile, dot_dot) {
    refused(tar_builder().entry("../evil", '0', "x").tgz(), errc::invalid_response, "\"../evil\"");
    refused(tar_builder().entry("../../../evil", '0', "x").tgz());
    refused(tar_builder().entry("a/../../evil", '0', "x").tgz());
    refused(tar_builder().entry("evil", '0', "x", {}, "..").tgz());  // ustar prefix field
    refused(tar_builder().entry("./..", '5').tgz());
}

TEST_F(archive_hostile, absolute) {
    const std::string abs = (tmp.path() / "evil").string();
    refused(tar_builder().entry(abs, '0', "x").tgz(), errc::invalid_response, "absolute");
    refused(tar_builder().entry("/", '5').tgz());
}

TEST_F(archive_hostile, symlink_escaping_then_a_file_through_it) {
    refused(
        tar_builder().entry("link", '2', {}, "../../outside").entry("link/file", '0', "x").tgz(),
        errc::invalid_response, "\"link\"");
    refused(tar_builder().entry("link", '2', {}, "/etc").tgz(), errc::invalid_response, "absolute");
    refused(tar_builder().entry("a/link", '2', {}, "../..").tgz());
    // A ".." after a name: "d" resolves to ".", so "d/.." would be the parent.
    refused(tar_builder().entry("d", '2', {}, ".").entry("e", '2', {}, "d/..").tgz());
}

TEST_F(archive_hostile, member_through_a_symlink) {
    // The symlink itself is harmless; going through it is not.
    refused(tar_builder()
                .entry("sub/", '5')
                .entry("link", '2', {}, "sub")
                .entry("link/file", '0', "x")
                .tgz(),
            errc::invalid_response, "symlink");
    EXPECT_FALSE(fs::exists(out / "sub" / "file"));
    // A symlink already in the output directory, pointing out of it.
    fs::remove_all(out);
    fs::create_directories(out);
    fs::create_directory_symlink(tmp.path(), out / "pre");
    try {
        extract(tar_builder().entry("pre/evil", '0', "x").tgz(), out);
        ADD_FAILURE() << "extracted through a symlink";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::invalid_response) << e.what();
    }
    EXPECT_FALSE(fs::exists(tmp.path() / "evil"));
}

TEST_F(archive_hostile, hard_links) {
    refused(tar_builder().entry("passwd", '1', {}, "/etc/passwd").tgz(), errc::invalid_response,
            "\"/etc/passwd\"");
    refused(tar_builder().entry("up", '1', {}, "../evil").tgz());
    refused(tar_builder().entry("none", '1', {}, "missing").tgz(), errc::invalid_response,
            "not a regular file extracted");
    // A symlink is not a regular file extracted from the archive.
    refused(tar_builder().entry("s", '2', {}, "x").entry("h", '1', {}, "s").tgz());
    // A hard link to a member extracted earlier is fine.
    extract(tar_builder().entry("f", '0', "data").entry("h", '1', {}, "f").tgz(), out);
    EXPECT_EQ(read_file(out / "h"), "data");
    EXPECT_EQ(fs::hard_link_count(out / "f"), 2u);
}

TEST_F(archive_hostile, huge_names) {
    refused(tar_builder().pax({{"path", std::string(100000, 'a')}}).entry("x", '0', "x").tgz(),
            errc::invalid_response, "100000 bytes");
    refused(tar_builder().pax({{"path", std::string(2 << 20, 'a')}}).entry("x", '0', "x").tgz(),
            errc::invalid_response, "extended header");
    refused(
        tar_builder().entry("././@LongLink", 'L', std::string(8000, 'b')).entry("x", '0').tgz());
    // Long names within limits are taken from PAX and GNU headers, and still checked.
    refused(tar_builder().pax({{"path", "../evil"}}).entry("fine", '0', "x").tgz());
    refused(tar_builder()
                .entry("././@LongLink", 'L', std::string("../evil\0", 8))
                .entry("ok", '0')
                .tgz());
    refused(tar_builder().pax({{"linkpath", "../../outside"}}).entry("l", '2', {}, "ok").tgz());
    const std::string long_name = std::string(150, 'p') + "/" + std::string(150, 'q');
    extract(tar_builder()
                .pax({{"path", long_name}})
                .entry("short", '0', "pax")
                .entry("././@LongLink", 'L', "gnu/" + std::string(200, 'g'))
                .entry("short2", '0', "gnu", {}, {}, "ustar  \0")
                .tgz(),
            out);
    EXPECT_EQ(read_file(out / long_name), "pax");
    EXPECT_EQ(read_file(out / "gnu" / std::string(200, 'g')), "gnu");
    EXPECT_FALSE(fs::exists(out / "short"));
}

TEST_F(archive_hostile, required_prefix) {
    unpack_options o;
    o.required_prefix = "dir";
    const auto ok =
        tar_builder().entry("dir/", '5').entry("dir/a", '0', "a").entry("dir/l", '2', {}, "a");
    extract(ok.tgz(), out, o);
    EXPECT_EQ(read_file(out / "dir" / "a"), "a");
    EXPECT_EQ(oras::test::error_of(
                  [&] { extract(tar_builder().entry("other/a", '0', "a").tgz(), out, o); }),
              errc::invalid_response);
    EXPECT_EQ(oras::test::error_of(
                  [&] { extract(tar_builder().entry("dir/l2", '2', {}, "../x").tgz(), out, o); }),
              errc::invalid_response);
}

TEST_F(archive_hostile, malformed_streams) {
    // Corrupt checksum.
    auto t = tar_builder().entry("a", '0', "x").tar();
    t[148] = '7';
    refused(to_string(gzip_encoder::compress(bytes(t))), errc::invalid_response, "checksum");
    // Not gzip, truncated gzip, empty.
    refused(tar_builder().entry("a", '0', "x").tar(), errc::invalid_response, "gzip");
    const auto tgz = tar_builder().entry("a", '0', std::string(5000, 'x')).tgz();
    fs::remove_all(out);
    fs::create_directories(out);
    EXPECT_THROW(extract(tgz.substr(0, tgz.size() - 4), out), oras::error);
    EXPECT_THROW(extract(std::string(), out), oras::error);
    // Tar cut inside a member (a complete gzip stream of an incomplete tar).
    const auto half = tar_builder().entry("a", '0', std::string(5000, 'x')).tar().substr(0, 2048);
    EXPECT_THROW(extract(to_string(gzip_encoder::compress(bytes(half))), out), oras::error);
    // Sparse files are refused, devices skipped.
    refused(tar_builder().entry("s", 'S', "x").tgz(), errc::invalid_response, "sparse");
    extract(tar_builder().entry("dev", '3').entry("fifo", '6').entry("f", '0', "ok").tgz(), out);
    EXPECT_FALSE(fs::exists(out / "dev"));
    EXPECT_EQ(read_file(out / "f"), "ok");
}

TEST_F(archive_hostile, concatenated_gzip_members_and_tiny_chunks) {
    const auto tar = tar_builder().entry("a", '0', "first").entry("b", '0', "second").tar();
    const auto part1 = to_string(gzip_encoder::compress(bytes(tar).first(1024)));
    const auto part2 = to_string(gzip_encoder::compress(bytes(tar).subspan(1024)));
    tar_extractor x(out, {.expected_tar_digest = oras::digest::of(std::string_view(tar)).str()});
    const auto all = part1 + part2;
    for (std::size_t i = 0; i < all.size(); ++i) {
        x.write(bytes(all).subspan(i, 1));
    }
    x.finish();
    EXPECT_EQ(read_file(out / "a"), "first");
    EXPECT_EQ(read_file(out / "b"), "second");
    EXPECT_EQ(x.tar_size(), tar.size());
}

TEST_F(archive_hostile, bombs_stop_at_their_limits) {
    const auto expect_limit = [&](const std::string& tgz, unpack_options o, const char* needle) {
        try {
            extract(tgz, out, std::move(o));
            ADD_FAILURE() << "extracted past " << needle;
        } catch (const oras::error& e) {
            EXPECT_EQ(e.code(), errc::size_exceeds_limit) << e.what();
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
        fs::remove_all(out);
        fs::create_directories(out);
    };
    // Size: 64 KiB of tar against a 16 KiB limit; within the limit it extracts.
    const auto big = tar_builder().entry("big", '0', pseudo_random(64 * 1024, 7)).tgz();
    expect_limit(big, {.max_tar_bytes = 16 * 1024}, "max_tar_bytes");
    extract(big, out, {.max_tar_bytes = 1024 * 1024});
    fs::remove_all(out);
    fs::create_directories(out);

    // Members: five files against a limit of three.
    tar_builder many;
    for (int i = 0; i < 5; ++i) {
        many.entry("f" + std::to_string(i), '0', "x");
    }
    expect_limit(many.tgz(), {.max_members = 3}, "max_members");
    extract(many.tgz(), out, {.max_members = 5});
    fs::remove_all(out);
    fs::create_directories(out);

    // Ratio: 4 MiB of zeros gzip to a few KiB; refused once the check applies, which is only
    // past `ratio_checked_after` (by default 1 GiB, so this layer extracts).
    const auto zeros = tar_builder().entry("zeros", '0', std::string(4 * 1024 * 1024, '\0')).tgz();
    ASSERT_LT(zeros.size(), 64u * 1024);
    expect_limit(zeros, {.max_expansion_ratio = 100, .ratio_checked_after = 1024 * 1024},
                 "max_expansion_ratio");
    extract(zeros, out);
    EXPECT_EQ(fs::file_size(out / "zeros"), 4u * 1024 * 1024);
}

}  // namespace

namespace {

// Options are checked before anything is created: a bad one leaves no output directory.
TEST(tar_extractor, bad_options_create_nothing) {
    oras::test::temp_dir tmp;
    const auto out = tmp.path() / "new";
    EXPECT_EQ(oras::test::error_of(
                  [&] { tar_extractor x(out, {.expected_tar_digest = "sha256:nothex"}); }),
              errc::invalid_digest);
    EXPECT_EQ(oras::test::error_of([&] { tar_extractor x(out, {.required_prefix = "."}); }),
              errc::invalid_argument);
    EXPECT_FALSE(fs::exists(out));
}

}  // namespace
