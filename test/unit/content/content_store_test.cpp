#include <oras/content/layout_tar_writer.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/manage.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "content/layout_archive.hpp"
#include "content/tar_builder.hpp"
#include "core/file_writer.hpp"

#include <oras/test/direct_io.hpp>
#include <oras/test/process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/sources.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::test::read_file;
using oras::test::run;
using oras::test::tar_builder;
using oras::test::temp_dir;
using oras::test::write_file;
namespace json = boost::json;
using oras::byte_source;
using oras::descriptor;
using oras::errc;
using oras::content::layout_tar_writer;
using oras::content::memory_store;
using oras::content::oci_layout;
using oras::content::oci_layout_options;

descriptor describe(std::string_view media_type, std::string_view content) {
    descriptor d;
    d.media_type = std::string(media_type);
    d.digest = oras::digest::of(content);
    d.size = static_cast<std::int64_t>(content.size());
    return d;
}

// A manifest whose bytes differ by `note`.
std::string manifest_json(std::string_view note = "") {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
           R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":)"
           R"("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
           R"("size":2},"layers":[],"annotations":{"note":")"
           + std::string(note) + R"("}})";
}

descriptor manifest_desc(std::string_view json_text) {
    return describe(oras::media_type::image_manifest, json_text);
}

// Runs `f` expecting an oras::error with `code`; returns its message.
std::string expect_error(const std::function<void()>& f, errc code) {
    try {
        f();
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), code) << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no error, expected " << oras::make_error_code(code).message();
    return {};
}

// Every regular file under `dir` (recursively), relative names.
std::vector<std::string> files_under(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::exists(dir)) {
        return out;
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            out.push_back(fs::relative(e.path(), dir).string());
        }
    }
    return out;
}

bool has_temp_files(const fs::path& dir) {
    for (const auto& f : files_under(dir)) {
        if (f.find(".oras-tmp-") != std::string::npos) {
            return true;
        }
    }
    return false;
}

// A reader that yields `content` in pieces, then throws instead of ending.
byte_source failing_reader(std::string content) {
    auto sent = std::make_shared<bool>(false);
    return byte_source::from_generator(
        [content, sent](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            if (*sent) {
                throw std::runtime_error("source broke");
            }
            *sent = true;
            const auto n = std::min(buf.size(), content.size());
            std::memcpy(buf.data(), content.data(), n);
            co_return n;
        });
}

// A reader that fails the test if it is read at all.
byte_source unread_reader() {
    auto r = byte_source::from_generator([](std::span<std::byte>) -> asio::awaitable<std::size_t> {
        ADD_FAILURE() << "the source was read";
        co_return 0;
    });
    return r;
}

// The round trip both stores must pass.
void round_trip(oras::content::target& t) {
    asio::io_context io;
    const std::string blob = "hello, layout";
    const auto blob_desc = describe("application/octet-stream", blob);
    EXPECT_FALSE(run(io, t.exists(blob_desc)));
    run(io, t.push(blob_desc, byte_source::from_string(blob)));
    EXPECT_TRUE(run(io, t.exists(blob_desc)));
    EXPECT_EQ(run(io, oras::content::fetch_all(t, blob_desc)), blob);
    // Stored already: no-op, the source is not read.
    run(io, t.push(blob_desc, unread_reader()));

    const auto m = manifest_json("a");
    const auto m_desc = manifest_desc(m);
    run(io, t.push(m_desc, byte_source::from_string(m)));
    run(io, t.tag(m_desc, "v1"));
    const auto by_tag = run(io, t.resolve("v1"));
    EXPECT_EQ(by_tag.digest, m_desc.digest);
    EXPECT_EQ(by_tag.size, m_desc.size);
    EXPECT_EQ(by_tag.media_type, m_desc.media_type);
    const auto by_digest = run(io, t.resolve(m_desc.digest.str()));
    EXPECT_EQ(by_digest.digest, m_desc.digest);
    EXPECT_EQ(by_digest.media_type, m_desc.media_type);
    EXPECT_EQ(run(io, oras::content::fetch_all(t, by_tag)), m);

    // Moving a tag.
    const auto m2 = manifest_json("b");
    const auto m2_desc = manifest_desc(m2);
    run(io, t.push(m2_desc, byte_source::from_string(m2)));
    run(io, t.tag(m2_desc, "v1"));
    EXPECT_EQ(run(io, t.resolve("v1")).digest, m2_desc.digest);

    const auto unknown =
        run(io, t.push_unknown("application/x-test", byte_source::from_string("xyz")));
    EXPECT_EQ(unknown.digest, oras::digest::of(std::string_view("xyz")));
    EXPECT_EQ(unknown.size, 3);
    EXPECT_EQ(unknown.media_type, "application/x-test");
    EXPECT_EQ(run(io, oras::content::fetch_all(t, unknown)), "xyz");

    expect_error([&] { run(io, t.resolve("nope")); }, errc::not_found);
    expect_error([&] { run(io, t.resolve("../v1")); }, errc::invalid_reference);
    expect_error([&] { run(io, t.tag(m_desc, "")); }, errc::invalid_reference);
    expect_error([&] { run(io, t.tag(m_desc, "a//b")); }, errc::invalid_reference);
    expect_error([&] { run(io, t.tag(m_desc, "a b")); }, errc::invalid_reference);
    expect_error([&] { run(io, t.tag(manifest_desc(manifest_json("absent")), "v2")); },
                 errc::not_found);
    expect_error([&] { run(io, t.fetch(describe("text/plain", "absent"), {})); }, errc::not_found);
}

// Pushes that must be refused, leaving nothing stored.
void refused_pushes(oras::content::target& t) {
    asio::io_context io;
    const std::string blob = "0123456789";
    auto wrong_digest = describe("application/octet-stream", blob);
    wrong_digest.digest = oras::digest::of(std::string_view("something else"));
    expect_error([&] { run(io, t.push(wrong_digest, byte_source::from_string(blob))); },
                 errc::digest_mismatch);
    EXPECT_FALSE(run(io, t.exists(wrong_digest)));

    auto too_long = describe("application/octet-stream", blob);
    too_long.size = 4;
    auto r = oras::test::unsized(byte_source::from_string(blob));  // found while streaming
    expect_error([&] { run(io, t.push(too_long, std::move(r))); }, errc::size_mismatch);
    EXPECT_FALSE(run(io, t.exists(too_long)));

    auto too_short = describe("application/octet-stream", blob);
    too_short.size = 20;
    auto r2 = oras::test::unsized(byte_source::from_string(blob));
    expect_error([&] { run(io, t.push(too_short, std::move(r2))); }, errc::size_mismatch);

    // Told ahead: refused before reading.
    auto told = describe("application/octet-stream", blob);
    told.size = 11;
    expect_error([&] { run(io, t.push(told, byte_source::from_string(blob))); },
                 errc::size_mismatch);

    const auto good = describe("application/octet-stream", blob);
    EXPECT_THROW(run(io, t.push(good, failing_reader(blob))), std::runtime_error);
    EXPECT_FALSE(run(io, t.exists(good)));
}

void fetch_all_limit(oras::content::target& t) {
    asio::io_context io;
    const std::string blob(100, 'x');
    const auto d = describe("application/octet-stream", blob);
    run(io, t.push(d, byte_source::from_string(blob)));
    expect_error([&] { run(io, oras::content::fetch_all(t, d, 10)); }, errc::size_exceeds_limit);
    EXPECT_EQ(run(io, oras::content::fetch_all(t, d, 100)), blob);
}

TEST(content_memory_store, round_trip) {
    memory_store s;
    round_trip(s);
    EXPECT_EQ(s.size(), 4u);  // blob, two manifests, the unknown push
    // A tag here is a registry's tag: no layout reference names.
    asio::io_context io;
    expect_error([&] { run(io, s.tag(manifest_desc(manifest_json("b")), "a/b")); },
                 errc::invalid_reference);
}

TEST(content_memory_store, refuses_wrong_digest_and_size) {
    memory_store s;
    refused_pushes(s);
    EXPECT_EQ(s.size(), 0u);
}

TEST(content_memory_store, fetch_all_limit) {
    memory_store s;
    fetch_all_limit(s);
}

TEST(content_oci_layout, round_trip_and_reopen) {
    temp_dir dir;
    {
        oci_layout l(dir / "layout");
        round_trip(l);
    }
    asio::io_context io;
    oci_layout again(dir / "layout", {.create = false, .read_only = true});
    const auto d = run(io, again.resolve("v1"));
    EXPECT_EQ(d.digest, manifest_desc(manifest_json("b")).digest);
    EXPECT_EQ(d.annotation(oras::annotation::ref_name), "v1");
    EXPECT_EQ(run(io, oras::content::fetch_all(again, d)), manifest_json("b"));
    EXPECT_FALSE(has_temp_files(dir.path()));
}

TEST(content_oci_layout, takes_the_reference_names_of_the_image_layout_spec) {
    temp_dir dir;
    asio::io_context io;
    oci_layout l(dir / "layout");
    oras::content::memory_store mem;
    const auto m = manifest_json();
    const auto m_desc = manifest_desc(m);
    run(io, l.push(m_desc, byte_source::from_string(m)));
    for (const auto* name : {"example.com/app:v1", "localhost:5000/hello:v1", "a/b"}) {
        EXPECT_TRUE(l.check_tag(name)) << name;
        EXPECT_FALSE(mem.check_tag(name)) << name;  // a tag elsewhere is a tag
        run(io, l.tag(m_desc, name));
        const auto d = run(io, l.resolve(name));
        EXPECT_EQ(d.digest, m_desc.digest);
        EXPECT_EQ(d.annotation(oras::annotation::ref_name), name);
    }
    // What only looks like a digest is a malformed digest, not a name.
    expect_error([&] { run(io, l.resolve("sha256:abc")); }, errc::invalid_digest);
    expect_error([&] { run(io, l.tag(m_desc, "a::b")); }, errc::invalid_reference);
    // Listed sorted, each once, as oras-go's store lists them (index.json keeps them in the
    // order they were made); `last` then starts after a name as it does on a registry.
    run(io, l.tag(m_desc, "a/b"));
    EXPECT_EQ(run(io, l.tags()),
              (std::vector<std::string>{"a/b", "example.com/app:v1", "localhost:5000/hello:v1"}));
    EXPECT_EQ(run(io, oras::ops::list_tags(l, {.last = "a/b"})),
              (std::vector<std::string>{"example.com/app:v1", "localhost:5000/hello:v1"}));
}

/// Entries of `dir` (where `from_tar` extracts to, through TMPDIR).
std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

/// Sets TMPDIR for its lifetime.
struct scoped_tmpdir {
    explicit scoped_tmpdir(const fs::path& p) {
        if (const char* old = std::getenv("TMPDIR")) {
            old_ = old;
        }
        ::setenv("TMPDIR", p.c_str(), 1);
    }
    ~scoped_tmpdir() {
        if (old_) {
            ::setenv("TMPDIR", old_->c_str(), 1);
        } else {
            ::unsetenv("TMPDIR");
        }
    }
    std::optional<std::string> old_;
};

// The index says what extracting leaves: the last member of a name, and no file where a later
// member makes a directory of that name.
TEST(content_oci_layout, an_archive_index_keeps_what_extracting_would_leave) {
    temp_dir dir;
    tar_builder b;
    b.entry("twice", '0', "first");
    b.entry("./twice", '0', "second");
    b.entry("replaced", '0', "a file, then a directory");
    b.entry("replaced/", '5');
    b.entry("kept/", '5');
    b.entry("kept", '0', "a directory, then a file");
    write_file(dir / "a.tar", b.tar());
    const auto members = oras::content::detail::index_archive(dir / "a.tar", 0);
    ASSERT_TRUE(members);
    EXPECT_EQ(oras::content::detail::read_member(*members, "twice", 100), "second");
    EXPECT_EQ(members->find("replaced"), nullptr);
    EXPECT_EQ(oras::content::detail::read_member(*members, "kept", 100),
              "a directory, then a file");
}

TEST(content_oci_layout, read_from_a_tar_archive) {
    temp_dir dir;
    // Extracted under a TMPDIR reached through a symlink (as /var on macOS, a /home link):
    // libarchive's checks must not take it for an attack.
    fs::create_directories(dir / "real-tmp");
    fs::create_directory_symlink(dir / "real-tmp", dir / "tmp");
    const scoped_tmpdir tmpdir(dir / "tmp");
    const auto extracted_dirs = [&] { return entries(dir / "real-tmp"); };
    {
        oci_layout l(dir / "layout");
        round_trip(l);
    }
    // As `tar -C layout -cf layout.tar .` makes it, with a symlink no layout has (skipped).
    tar_builder b;
    b.entry("./", '5');
    for (const auto& e : fs::recursive_directory_iterator(dir / "layout")) {
        const auto name = "./" + fs::relative(e.path(), dir / "layout").generic_string();
        if (e.is_directory()) {
            b.entry(name + "/", '5');
        } else {
            b.entry(name, '0', read_file(e.path()));
        }
    }
    b.entry("./passwd", '2', {}, "/etc/passwd");
    write_file(dir / "layout.tar", b.tar());
    write_file(dir / "layout.tgz", b.tgz());
    const auto before = extracted_dirs();
    asio::io_context io;
    for (const auto* name : {"layout.tar", "layout.tgz"}) {
        SCOPED_TRACE(name);
        // A plain archive is read where it is; a compressed one is extracted first.
        const bool in_place = std::string_view(name).ends_with(".tar");
        auto l = oci_layout::from_tar(dir / name);
        EXPECT_EQ(extracted_dirs(), before + (in_place ? 0 : 1));
        const auto root = l->root();
        if (in_place) {
            EXPECT_EQ(root, dir / name);
            const auto members = oras::content::detail::index_archive(dir / name, 0);
            ASSERT_TRUE(members);
            EXPECT_EQ(members->find("passwd"), nullptr);  // a symlink: nothing a layout holds
        } else {
            EXPECT_FALSE(fs::exists(fs::symlink_status(root / "passwd")));
        }
        const auto d = run(io, l->resolve("v1"));
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, d)), manifest_json("b"));
        EXPECT_THROW(run(io, l->tag(d, "v9")), oras::error);  // read-only
        l.reset();
        EXPECT_EQ(fs::exists(root), in_place);
    }
    // A member that would land outside, an archive with no layout, one that is no archive:
    // refused, nothing left behind.
    // Both ways: read in place, and extracted.
    for (const auto* bad : {"../evil", "/abs/evil", "a/../../evil", "../evil.gz", "/abs/evil.gz"}) {
        const auto made = tar_builder().entry("oci-layout", '0', "{}").entry(bad, '0', "x");
        write_file(dir / "bad.tar",
                   std::string_view(bad).ends_with(".gz") ? made.tgz() : made.tar());
        try {
            oci_layout::from_tar(dir / "bad.tar");
            ADD_FAILURE() << bad;
        } catch (const oras::error& e) {
            EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
            EXPECT_NE(std::string(e.what()).find("outside the layout"), std::string::npos)
                << e.what();
        }
        EXPECT_FALSE(fs::exists(dir / "real-tmp" / "evil"));
        EXPECT_FALSE(fs::exists(dir / "evil"));
    }
    write_file(dir / "empty.tar", tar_builder().entry("readme", '0', "no layout").tar());
    try {
        oci_layout::from_tar(dir / "empty.tar");
        ADD_FAILURE();
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::not_found) << e.what();
        EXPECT_NE(std::string(e.what()).find("empty.tar"), std::string::npos) << e.what();
    }
    write_file(dir / "junk.tar", "not an archive at all");
    EXPECT_THROW(oci_layout::from_tar(dir / "junk.tar"), oras::error);
    EXPECT_EQ(extracted_dirs(), before);
}

TEST(content_oci_layout, a_plain_archive_is_read_in_place_whatever_wrote_it) {
    temp_dir dir;
    const scoped_tmpdir tmpdir(dir / "tmp");
    fs::create_directories(dir / "tmp");
    asio::io_context io;
    const auto layout = dir / "layout";
    std::string big(3 * 1024 * 1024 + 17, '\0');
    std::uint64_t x = 88172645463325252ull;
    for (auto& c : big) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
    }
    const auto big_desc = describe("application/octet-stream", big);
    // A sha512 blob's name (143 bytes) needs a GNU long name, a pax path or a ustar prefix.
    const std::string long_named = "named at length";
    descriptor long_desc = describe("application/octet-stream", long_named);
    long_desc.digest = oras::digest::of(long_named, oras::digest_algorithm::sha512);
    {
        oci_layout l(layout);
        round_trip(l);
        run(io, l.push(big_desc, byte_source::from_string(big)));
        run(io, l.push(long_desc, byte_source::from_string(long_named)));
    }
    const auto tar = oras::test::find_executable("tar");
    ASSERT_FALSE(tar.empty());
    // GNU tar's formats: pax puts an extended header before every member, gnu a long-name
    // member before the sha512 blob's, ustar splits names in two (and has no room for that one);
    // and this library's own writer.
    std::vector<fs::path> archives;
    for (const std::string format : {"gnu", "pax", "ustar"}) {
        archives.push_back(dir / (format + ".tar"));
        std::vector<std::string> args = {tar,   "--format=" + format,     "-C", layout.string(),
                                         "-cf", archives.back().string(), "."};
        if (format == "ustar") {
            args.insert(args.begin() + 1, "--exclude=./blobs/sha512");
        }
        const auto r = oras::test::run_process(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    archives.push_back(dir / "own.tar");
    oci_layout(layout).write_tar(archives.back());
    for (const auto& archive : archives) {
        SCOPED_TRACE(archive.filename().string());
        auto l = oci_layout::from_tar(archive);
        EXPECT_EQ(l->root(), archive);
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, run(io, l->resolve("v1")))),
                  manifest_json("b"));
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, big_desc, big.size())), big);
        EXPECT_EQ(l->stored_size(big_desc.digest), big_desc.size);
        if (archive.filename() != "ustar.tar") {
            EXPECT_EQ(run(io, oras::content::fetch_all(*l, long_desc)), long_named);
        }
        EXPECT_EQ(run(io, l->tags()), std::vector<std::string>{"v1"});
    }
    // An archive renamed over the one in use (as a new backup replaces it) changes nothing for a
    // layout already open: it reads the archive it indexed.
    {
        auto l = oci_layout::from_tar(dir / "gnu.tar");
        write_file(dir / "zeros.tar", std::string(fs::file_size(dir / "gnu.tar"), '\0'));
        fs::rename(dir / "zeros.tar", dir / "gnu.tar");
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, big_desc, big.size())), big);
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, run(io, l->resolve("v1")))),
                  manifest_json("b"));
    }
    EXPECT_TRUE(fs::is_empty(dir / "tmp"));  // nothing was extracted

    // A byte of the big blob changed in the archive: its digest check fails the read.
    const auto pax = read_file(dir / "pax.tar");
    const auto at = pax.find(big.substr(1024 * 1024, 64));
    ASSERT_NE(at, std::string::npos);
    auto damaged = pax;
    damaged[at] = static_cast<char>(damaged[at] ^ 1);
    write_file(dir / "damaged.tar", damaged);
    {
        auto l = oci_layout::from_tar(dir / "damaged.tar");
        expect_error([&] { run(io, oras::content::fetch_all(*l, big_desc, big.size())); },
                     errc::digest_mismatch);
    }
    // Cut short inside the big blob: refused when opened.
    write_file(dir / "short.tar", pax.substr(0, at + 100));
    expect_error([&] { oci_layout::from_tar(dir / "short.tar"); }, errc::invalid_argument);

    // A sparse member is not one range of the archive: such an archive is extracted instead.
    const auto sparse_blob = std::string(2 * 1024 * 1024, '\0');
    const auto sparse_desc = describe("application/octet-stream", sparse_blob);
    run(io, oci_layout(layout).push(sparse_desc, byte_source::from_string(sparse_blob)));
    const auto sparse_path = oci_layout(layout).blob_path(sparse_desc.digest);
    fs::remove(sparse_path);
    std::ofstream(sparse_path).close();
    fs::resize_file(sparse_path, sparse_blob.size());  // one hole, no data
    const auto r = oras::test::run_process({tar, "--sparse", "--format=pax", "-C", layout.string(),
                                            "-cf", (dir / "sparse.tar").string(), "."});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    {
        auto l = oci_layout::from_tar(dir / "sparse.tar");
        EXPECT_NE(l->root(), dir / "sparse.tar");
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, sparse_desc, sparse_blob.size())),
                  sparse_blob);
    }
    EXPECT_TRUE(fs::is_empty(dir / "tmp"));
}

TEST(content_oci_layout, written_to_a_tar_archive_and_read_back) {
    temp_dir dir;
    const scoped_tmpdir tmpdir(dir.path());
    asio::io_context io;
    oci_layout l(dir / "layout");
    round_trip(l);
    // What a writer leaves while it works: hidden names, never archived.
    write_file(dir / "layout" / "blobs" / "sha256" / ".tmp-123", "half a blob");
    fs::create_directories(dir / "layout" / ".oras-unpack-x");
    write_file(dir / "layout" / ".oras-unpack-x" / "inner", "x");
    write_file(dir / "out.tar", "an older archive, replaced whole");

    const auto size = l.write_tar(dir / "out.tar");
    EXPECT_EQ(size, fs::file_size(dir / "out.tar"));
    auto back = oci_layout::from_tar(dir / "out.tar");
    const auto d = run(io, back->resolve("v1"));
    EXPECT_EQ(run(io, oras::content::fetch_all(*back, d)), manifest_json("b"));
    // Every file of the layout, and nothing hidden, each member's bytes where the index says.
    const auto members = oras::content::detail::index_archive(dir / "out.tar", 0);
    ASSERT_TRUE(members);
    std::set<std::string> layout_files;
    for (const auto& e : fs::recursive_directory_iterator(dir / "layout")) {
        const auto rel = fs::relative(e.path(), dir / "layout").generic_string();
        if (e.is_regular_file() && rel.find("/.") == std::string::npos && !rel.starts_with(".")) {
            layout_files.insert(rel);
            EXPECT_EQ(oras::content::detail::read_member(*members, rel, 1 << 20),
                      read_file(e.path()))
                << rel;
        }
    }
    std::set<std::string> archived;
    for (const auto& [name, m] : members->files) {
        archived.insert(name);
    }
    EXPECT_EQ(archived, layout_files);
    EXPECT_THROW(back->write_tar(dir / "again.tar"), oras::error);  // copy the archive instead
    EXPECT_FALSE(fs::exists(dir / "again.tar"));
    back.reset();

    // Nowhere to write: refused, and no file left under the name or beside it.
    try {
        l.write_tar(dir / "no-such-dir" / "x.tar");
        ADD_FAILURE();
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), errc::invalid_argument) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "no-such-dir"));
    std::size_t left = 0;
    for (const auto& e : fs::directory_iterator(dir.path())) {
        left += e.path().filename().string().starts_with(".") ? 1 : 0;
    }
    EXPECT_EQ(left, 0u);
}

TEST(content_oci_layout, writes_a_valid_layout) {
    temp_dir dir;
    const auto root = dir / "layout";
    oci_layout l(root);
    asio::io_context io;
    const auto m = manifest_json();
    const auto d = manifest_desc(m);
    run(io, l.push(d, byte_source::from_string(m)));
    run(io, l.tag(d, "latest"));

    EXPECT_EQ(read_file(root / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
    const auto index_text = read_file(root / "index.json");
    auto idx = oras::image_index::parse(index_text);
    ASSERT_TRUE(idx) << idx.error().message;
    EXPECT_EQ(idx->schema_version, 2);
    EXPECT_EQ(idx->media_type, oras::media_type::image_index);
    ASSERT_EQ(idx->manifests.size(), 1u);
    EXPECT_EQ(idx->manifests[0].digest, d.digest);
    EXPECT_EQ(idx->manifests[0].size, d.size);
    EXPECT_EQ(idx->manifests[0].media_type, d.media_type);
    EXPECT_EQ(idx->manifests[0].annotation(oras::annotation::ref_name), "latest");
    const auto doc = json::parse(index_text);
    EXPECT_EQ(doc.at("schemaVersion").as_int64(), 2);

    EXPECT_EQ(l.blob_path(d.digest), root / "blobs" / "sha256" / std::string(d.digest.encoded()));
    // Every blob file is named by the digest of its content; nothing else is in blobs/.
    for (const auto& name : files_under(root / "blobs")) {
        const auto content = read_file(root / "blobs" / name);
        EXPECT_EQ("sha256/" + std::string(oras::digest::of(content).encoded()), name);
    }
    EXPECT_EQ(files_under(root / "blobs").size(), 1u);
}

TEST(content_oci_layout, refuses_wrong_digest_and_size_leaving_nothing) {
    temp_dir dir;
    oci_layout l(dir / "layout");
    refused_pushes(l);
    EXPECT_TRUE(files_under(dir / "layout" / "blobs").empty());
    EXPECT_FALSE(has_temp_files(dir.path()));
}

TEST(content_oci_layout, fetch_all_limit) {
    temp_dir dir;
    oci_layout l(dir / "layout");
    fetch_all_limit(l);
}

TEST(content_oci_layout, corrupted_blob_is_detected_on_fetch) {
    temp_dir dir;
    oci_layout l(dir / "layout");
    asio::io_context io;
    const std::string blob = "the original bytes";
    const auto d = describe("application/octet-stream", blob);
    run(io, l.push(d, byte_source::from_string(blob)));

    write_file(l.blob_path(d.digest), "the 0riginal bytes");  // same size, other bytes
    auto msg =
        expect_error([&] { run(io, oras::content::fetch_all(l, d)); }, errc::digest_mismatch);
    EXPECT_NE(msg.find(l.blob_path(d.digest).string()), std::string::npos) << msg;

    write_file(l.blob_path(d.digest), "short");
    expect_error([&] { run(io, oras::content::fetch_all(l, d)); }, errc::size_mismatch);
    // A file of the wrong size is not "existing content": pushing again repairs it.
    EXPECT_FALSE(run(io, l.exists(d)));
    run(io, l.push(d, byte_source::from_string(blob)));
    EXPECT_EQ(run(io, oras::content::fetch_all(l, d)), blob);
}

TEST(content_oci_layout, push_unknown_leaves_no_temp_files) {
    temp_dir dir;
    oci_layout l(dir / "layout");
    asio::io_context io;
    const std::string big(3 * 1024 * 1024 + 17, 'z');  // several chunks
    const auto d = run(io, l.push_unknown("application/x-big", byte_source::from_string(big)));
    EXPECT_EQ(d.digest, oras::digest::of(big));
    EXPECT_EQ(d.size, static_cast<std::int64_t>(big.size()));
    EXPECT_EQ(read_file(l.blob_path(d.digest)), big);
    // Again: same result, the temporary file dropped.
    EXPECT_EQ(run(io, l.push_unknown("application/x-big", byte_source::from_string(big))).digest,
              d.digest);
    EXPECT_THROW(run(io, l.push_unknown("application/x-big", failing_reader("abc"))),
                 std::runtime_error);
    EXPECT_EQ(files_under(dir / "layout" / "blobs").size(), 1u);
    EXPECT_FALSE(has_temp_files(dir.path()));
}

TEST(content_oci_layout, index_keeps_unknown_members) {
    temp_dir dir;
    const auto root = dir / "layout";
    oci_layout l(root);
    asio::io_context io;
    const auto m = manifest_json("a");
    const auto d = manifest_desc(m);
    const auto m2 = manifest_json("b");
    const auto d2 = manifest_desc(m2);
    run(io, l.push(d, byte_source::from_string(m)));
    run(io, l.push(d2, byte_source::from_string(m2)));
    const auto entry = [&](std::string_view tag, std::string_view extra) {
        return R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")"
               + d.digest.str() + R"(","size":)" + std::to_string(d.size)
               + R"(,"annotations":{"org.opencontainers.image.ref.name":")" + std::string(tag)
               + R"("},)" + std::string(extra) + "}";
    };
    write_file(root / "index.json",
               R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
               R"("manifests":[)"
                   + entry("old", R"("x-entry":"keep me")") + ","
                   + entry("v1", R"("x-same":{"n":[1,2]})")
                   + R"(],"x-top":{"nested":[true,null]},"annotations":{"a":"b"}})");

    run(io, l.tag(d, "v1"));   // same digest: its unknown members stay
    run(io, l.tag(d, "new"));  // appended
    auto doc = json::parse(read_file(root / "index.json"));
    EXPECT_EQ(doc.at("x-top"), json::parse(R"({"nested":[true,null]})"));
    EXPECT_EQ(doc.at("annotations").at("a"), "b");
    auto manifests = doc.at("manifests").as_array();
    ASSERT_EQ(manifests.size(), 3u);
    EXPECT_EQ(manifests[0].at("x-entry"), "keep me");
    EXPECT_EQ(manifests[1].at("annotations").at("org.opencontainers.image.ref.name"), "v1");
    EXPECT_EQ(manifests[1].at("x-same"), json::parse(R"({"n":[1,2]})"));
    EXPECT_EQ(manifests[2].at("annotations").at("org.opencontainers.image.ref.name"), "new");

    run(io, l.tag(d2, "v1"));  // another manifest: same place, members of the old one dropped
    doc = json::parse(read_file(root / "index.json"));
    manifests = doc.at("manifests").as_array();
    ASSERT_EQ(manifests.size(), 3u);
    EXPECT_EQ(manifests[1].at("digest").as_string(), d2.digest.str());
    EXPECT_EQ(manifests[1].as_object().if_contains("x-same"), nullptr);
    EXPECT_EQ(manifests[0].at("x-entry"), "keep me");
    EXPECT_EQ(run(io, l.resolve("old")).digest, d.digest);
    EXPECT_EQ(run(io, l.resolve("v1")).digest, d2.digest);
}

TEST(content_oci_layout, malformed_index_is_an_error_and_untouched) {
    temp_dir dir;
    const auto root = dir / "layout";
    oci_layout l(root);
    asio::io_context io;
    const auto m = manifest_json();
    const auto d = manifest_desc(m);
    run(io, l.push(d, byte_source::from_string(m)));
    for (const std::string bad :
         {R"({"schemaVersion":2,"manifests":[)", R"([1,2])",
          R"({"schemaVersion":2,"manifests":[{"digest":"x"}]})", R"({"schemaVersion":2})"}) {
        write_file(root / "index.json", bad);
        auto msg = expect_error([&] { run(io, l.tag(d, "v1")); }, errc::invalid_manifest);
        EXPECT_NE(msg.find("index.json"), std::string::npos) << msg;
        EXPECT_EQ(read_file(root / "index.json"), bad);
        expect_error([&] { run(io, l.resolve("v1")); }, errc::invalid_manifest);
    }
    EXPECT_FALSE(has_temp_files(dir.path()));
}

TEST(content_oci_layout, malformed_or_missing_layout_file) {
    temp_dir dir;
    fs::create_directories(dir / "bad");
    write_file(dir / "bad" / "oci-layout", "not json");
    auto msg = expect_error([&] { oci_layout l(dir / "bad"); }, errc::invalid_manifest);
    EXPECT_NE(msg.find("oci-layout"), std::string::npos) << msg;
    EXPECT_EQ(read_file(dir / "bad" / "oci-layout"), "not json");
    EXPECT_FALSE(fs::exists(dir / "bad" / "index.json"));

    write_file(dir / "bad" / "oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
    expect_error([&] { oci_layout l(dir / "bad"); }, errc::unsupported);

    expect_error([&] { oci_layout l(dir / "absent", {.create = false}); }, errc::not_found);
    EXPECT_FALSE(fs::exists(dir / "absent"));
    expect_error([&] { oci_layout l(dir / "absent", {.read_only = true}); }, errc::not_found);
    EXPECT_FALSE(fs::exists(dir / "absent"));
}

TEST(content_oci_layout, read_only_refuses_writes) {
    temp_dir dir;
    { oci_layout create(dir / "layout"); }
    oci_layout l(dir / "layout", {.read_only = true});
    asio::io_context io;
    const auto d = describe("text/plain", "x");
    expect_error([&] { run(io, l.push(d, byte_source::from_string("x"))); }, errc::unsupported);
    expect_error([&] { run(io, l.push_unknown("text/plain", byte_source::from_string("x"))); },
                 errc::unsupported);
    expect_error([&] { run(io, l.tag(d, "t")); }, errc::unsupported);
    EXPECT_TRUE(files_under(dir / "layout" / "blobs").empty());
}

TEST(content_oci_layout, concurrent_tagging_keeps_every_tag) {
    temp_dir dir;
    const auto root = dir / "layout";  // created by the threads themselves, all at once
    constexpr int threads = 4;
    constexpr int tags_per_thread = 25;
    std::vector<std::exception_ptr> errors(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            try {
                asio::io_context io;
                oci_layout l(root);
                const auto m = manifest_json("thread " + std::to_string(t));
                const auto d = manifest_desc(m);
                run(io, l.push(d, byte_source::from_string(m)));
                // The same shared content from every thread too.
                const auto shared = manifest_json("shared");
                run(io, l.push(manifest_desc(shared), byte_source::from_string(shared)));
                for (int i = 0; i < tags_per_thread; ++i) {
                    run(io, l.tag(d, "t" + std::to_string(t) + "-" + std::to_string(i)));
                    run(io, l.tag(manifest_desc(shared), "shared"));
                }
            } catch (...) {
                errors[static_cast<std::size_t>(t)] = std::current_exception();
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    for (const auto& e : errors) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                FAIL() << ex.what();
            }
        }
    }
    auto idx = oras::image_index::parse(read_file(root / "index.json"));
    ASSERT_TRUE(idx) << idx.error().message;
    EXPECT_EQ(idx->manifests.size(), static_cast<std::size_t>(threads * tags_per_thread + 1));
    asio::io_context io;
    oci_layout l(root);
    for (int t = 0; t < threads; ++t) {
        const auto want = manifest_desc(manifest_json("thread " + std::to_string(t))).digest;
        for (int i = 0; i < tags_per_thread; ++i) {
            EXPECT_EQ(run(io, l.resolve("t" + std::to_string(t) + "-" + std::to_string(i))).digest,
                      want);
        }
    }
    EXPECT_EQ(run(io, l.resolve("shared")).digest, manifest_desc(manifest_json("shared")).digest);
    EXPECT_EQ(read_file(root / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
    EXPECT_EQ(files_under(root / "blobs").size(), static_cast<std::size_t>(threads + 1));
    EXPECT_FALSE(has_temp_files(dir.path()));
}

// The names of the members of the tar archive at `tar`, in order, as libarchive reads them.
std::vector<std::string> member_names(const fs::path& tar) {
    const auto r = oras::test::run_process({"tar", "-tf", tar.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
        out.push_back(line);
    }
    return out;
}

// Every file left in `dir` but `keep`.
std::vector<std::string> other_files(const fs::path& dir, const std::string& keep) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().filename() != keep) {
            out.push_back(e.path().filename().string());
        }
    }
    return out;
}

TEST(content_layout_tar_writer, a_layout_written_in_one_pass_reads_back_in_place_and_extracted) {
    temp_dir dir;
    const auto out = dir / "backup.tar";
    write_file(out, "the archive from before");
    asio::io_context io;
    const auto m2 = manifest_json("b");
    const auto m2_desc = manifest_desc(m2);
    const std::string sig =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("artifactType":"application/x-signature","config":{"mediaType":)"
        R"("application/vnd.oci.empty.v1+json","digest":)"
        R"("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},)"
        R"("layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("digest":")"
        + m2_desc.digest.str() + R"(","size":)" + std::to_string(m2_desc.size) + "}}";
    const auto sig_desc = manifest_desc(sig);
    std::uint64_t size = 0;
    {
        layout_tar_writer w(out);
        round_trip(w);
        refused_pushes(w);  // each the last place when it failed: given back
        fetch_all_limit(w);
        run(io, w.push(sig_desc, byte_source::from_string(sig)));
        EXPECT_EQ(run(io, w.tags()), std::vector<std::string>{"v1"});
        EXPECT_EQ(read_file(out), "the archive from before");  // replaced only by commit
        size = w.commit();
        EXPECT_EQ(size, fs::file_size(out));
        expect_error([&] { w.commit(); }, errc::invalid_argument);
        // Written, and never again: a tag now would be lost, so it is refused.
        expect_error([&] { run(io, w.tag(m2_desc, "v9")); }, errc::invalid_argument);
        expect_error([&] { run(io, w.push(m2_desc, byte_source::from_string(m2))); },
                     errc::invalid_argument);
    }
    EXPECT_EQ(other_files(dir.path(), "backup.tar"), std::vector<std::string>{});
    EXPECT_EQ(size % 512, 0u);

    // Read in place, as a restore reads it.
    const auto check = [&](oci_layout& l) {
        EXPECT_EQ(run(io, l.resolve("v1")).digest, m2_desc.digest);
        EXPECT_EQ(run(io, oras::content::fetch_all(l, m2_desc)), m2);
        EXPECT_EQ(run(io, oras::content::fetch_all(
                              l, describe("application/octet-stream", "hello, layout"))),
                  "hello, layout");
        EXPECT_EQ(run(io, oras::content::fetch_all(l, describe("application/x-test", "xyz"))),
                  "xyz");
        EXPECT_EQ(run(io, l.tags()), std::vector<std::string>{"v1"});
        const auto refs = run(io, l.referrers(m2_desc, ""));
        ASSERT_EQ(refs.size(), 1u);
        EXPECT_EQ(refs[0].digest, sig_desc.digest);
        EXPECT_EQ(refs[0].artifact_type, "application/x-signature");
        EXPECT_FALSE(run(io, l.exists(describe("application/octet-stream", "0123456789"))));
    };
    {
        auto l = oci_layout::from_tar(out);
        EXPECT_EQ(l->root(), out);  // in place: nothing extracted
        check(*l);
    }
    // GNU tar reads it through, and extracts the same layout.
    const auto names = member_names(out);
    ASSERT_GE(names.size(), 4u);
    EXPECT_EQ(names.front(), "oci-layout");
    EXPECT_EQ(names.back(), "index.json");
    EXPECT_EQ(std::count(names.begin(), names.end(), "blobs/sha256/"), 1);
    const auto discarded = std::count_if(names.begin(), names.end(), [](const std::string& n) {
        return n.starts_with(".oras-discarded-");
    });
    EXPECT_EQ(discarded, 0);
    fs::create_directory(dir / "x");
    const auto r =
        oras::test::run_process({"tar", "-xf", out.string(), "-C", (dir / "x").string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    oci_layout extracted(dir / "x", oci_layout_options{.create = false});
    check(extracted);
}

// A source that hands out `content` a slice at a time, letting the other pushes run between.
byte_source trickle(std::string content, std::size_t slice) {
    auto at = std::make_shared<std::size_t>(0);
    auto text = std::make_shared<const std::string>(std::move(content));
    const auto length = text->size();
    return byte_source::from_generator(
        [text, at, slice](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            const auto ex = co_await asio::this_coro::executor;
            co_await asio::post(ex, asio::use_awaitable);
            const auto n = std::min({buf.size(), slice, text->size() - *at});
            std::memcpy(buf.data(), text->data() + *at, n);
            *at += n;
            co_return n;
        },
        length);
}

TEST(content_layout_tar_writer, concurrent_pushes_each_write_their_own_place) {
    const oras::test::direct_dir dir;  // where the large blob's writer can go direct
    const auto out = dir / "many.tar";
    // One blob past the size where a file goes to the disk directly, small ones, an empty one,
    // and a sha512 one (whose name needs a pax header: longer than ustar holds).
    std::vector<std::pair<descriptor, std::string>> blobs;
    std::string big(oras::detail::file_writer::direct_after + 3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) {
        big[i] = static_cast<char>((i * 131) >> 7);
    }
    blobs.emplace_back(describe("application/octet-stream", big), big);
    for (int i = 0; i < 8; ++i) {
        const std::string b(1000 + i * 700, static_cast<char>('a' + i));
        blobs.emplace_back(describe("application/octet-stream", b), b);
    }
    blobs.emplace_back(describe("application/octet-stream", ""), "");
    const std::string long_named = "hashed with sha512";
    descriptor d512 = describe("application/octet-stream", long_named);
    d512.digest = oras::digest::of(long_named, oras::digest_algorithm::sha512);
    blobs.emplace_back(d512, long_named);

    layout_tar_writer w(out);
    asio::io_context io;
    std::vector<std::future<void>> pushes;
    for (const auto& [desc, content] : blobs) {
        auto src = trickle(content, 100 * 1024);
        pushes.push_back(asio::co_spawn(io, w.push(desc, std::move(src)), asio::use_future));
    }
    io.run();
    for (auto& p : pushes) {
        EXPECT_NO_THROW(p.get());
    }
    for (const auto& [desc, content] : blobs) {
        EXPECT_TRUE(run(io, w.exists(desc)));
    }
    w.commit();

    const auto members = oras::content::detail::index_archive(out, 0);
    ASSERT_TRUE(members);
    auto l = oci_layout::from_tar(out);
    for (const auto& [desc, content] : blobs) {
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, desc, 64 << 20)), content)
            << desc.digest.str();
        const auto* m = members->find("blobs/" + std::string(to_string(desc.digest.algorithm()))
                                      + "/" + std::string(desc.digest.encoded()));
        ASSERT_NE(m, nullptr);
        EXPECT_EQ(m->offset % 512, 0u);
    }
    const auto names = member_names(out);
    EXPECT_EQ(std::count(names.begin(), names.end(), "blobs/sha512/"), 1);
}

TEST(content_layout_tar_writer, a_failed_place_of_any_size_reads_on) {
    // A blob of 8 GiB and more fails after another was placed behind it: its place (left a
    // hole, never written) becomes one member whose size only a GNU base-256 field holds.
    temp_dir dir;
    const auto out = dir / "huge.tar";
    descriptor huge;
    huge.media_type = "application/octet-stream";
    huge.digest = oras::digest::of(std::string_view("never sent"));
    huge.size = (std::int64_t{1} << 33) + 1;
    auto failing = byte_source::from_generator(
        [](std::span<std::byte>) -> asio::awaitable<std::size_t> {
            for (int i = 0; i < 10; ++i) {
                const auto ex = co_await asio::this_coro::executor;
                co_await asio::post(ex, asio::use_awaitable);
            }
            throw std::runtime_error("the registry went away");
        },
        static_cast<std::uint64_t>(huge.size));
    const std::string small = "placed after it";
    const auto small_desc = describe("application/octet-stream", small);
    layout_tar_writer w(out);
    asio::io_context io;
    auto first = asio::co_spawn(io, w.push(huge, std::move(failing)), asio::use_future);
    auto second =
        asio::co_spawn(io, w.push(small_desc, byte_source::from_string(small)), asio::use_future);
    io.run();
    EXPECT_THROW(first.get(), std::runtime_error);
    EXPECT_NO_THROW(second.get());
    // Past the end of what an offset can say: refused before anything is placed.
    descriptor too_big = huge;
    too_big.size = std::numeric_limits<std::int64_t>::max();
    expect_error(
        [&] { run(io, w.push(too_big, oras::test::unsized(byte_source::from_string("")))); },
        errc::size_exceeds_limit);
    w.commit();
    const auto late = describe("application/octet-stream", "late");
    expect_error([&] { run(io, w.push(late, byte_source::from_string("late"))); },
                 errc::invalid_argument);
    const auto names = member_names(out);
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names.back(), "index.json");
    EXPECT_EQ(std::count_if(names.begin(), names.end(),
                            [](const std::string& n) { return n.starts_with(".oras-discarded-"); }),
              1);
    auto l = oci_layout::from_tar(out);
    EXPECT_EQ(run(io, oras::content::fetch_all(*l, small_desc)), small);
    EXPECT_FALSE(run(io, l->exists(huge)));
    // Read back after the commit: from the archive where it now is.
    EXPECT_EQ(run(io, oras::content::fetch_all(w, small_desc)), small);
}

TEST(content_layout_tar_writer, abandoned_leaves_the_destination_and_marks_its_place) {
    temp_dir dir;
    const auto out = dir / "abandoned.tar";
    write_file(out, "kept");
    const std::string blob(5000, 'q');
    const auto desc = describe("application/octet-stream", blob);
    {
        layout_tar_writer w(out);
        {
            asio::io_context io;
            // A push that never ends: its source waits forever after its first slice.
            auto stalled = byte_source::from_generator(
                [blob,
                 sent = false](std::span<std::byte> buf) mutable -> asio::awaitable<std::size_t> {
                    if (sent) {
                        const auto ex = co_await asio::this_coro::executor;
                        asio::steady_timer t(ex, std::chrono::hours(1));
                        co_await t.async_wait(asio::use_awaitable);
                    }
                    sent = true;
                    const auto n = std::min<std::size_t>(buf.size(), 100);
                    std::memcpy(buf.data(), blob.data(), n);
                    co_return n;
                },
                blob.size());
            asio::co_spawn(io, w.push(desc, std::move(stalled)), asio::detached);
            // Another blob placed after it, and completed: the stalled place is no longer the
            // last one, so it cannot be given back.
            const std::string other(3000, 'o');
            auto other_push = asio::co_spawn(io,
                                             w.push(describe("application/octet-stream", other),
                                                    byte_source::from_string(other)),
                                             asio::use_future);
            for (int i = 0; i < 50; ++i) {
                io.poll();
            }
            other_push.get();
            const auto why = expect_error([&] { w.commit(); }, errc::invalid_argument);
            EXPECT_NE(why.find("still being written"), std::string::npos) << why;
            asio::io_context elsewhere;  // `io` would wait for the stalled push
            EXPECT_FALSE(run(elsewhere, w.exists(desc)));
        }  // the stalled push is destroyed: its place becomes a hidden member
        asio::io_context io;
        run(io, w.push(desc, byte_source::from_string(blob)));  // again, at a place of its own
        w.commit();
        auto l = oci_layout::from_tar(out);
        EXPECT_EQ(run(io, oras::content::fetch_all(*l, desc)), blob);
        const auto names = member_names(out);
        EXPECT_EQ(
            std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.starts_with(".oras-discarded-"); }),
            1);
    }
    {
        write_file(out, "kept");
        layout_tar_writer w(out);
        asio::io_context io;
        run(io, w.push(desc, byte_source::from_string(blob)));
    }  // never committed
    EXPECT_EQ(read_file(out), "kept");
    EXPECT_EQ(other_files(dir.path(), "abandoned.tar"), std::vector<std::string>{});
}

}  // namespace
