#include <oras/content/file_store.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/media_type.hpp>

#include "content/directory_archive.hpp"
#include "tar_builder.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/sources.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::byte_source;
using oras::descriptor;
using oras::errc;
using oras::content::file_store;
using oras::content::file_store_options;
using oras::test::read_file;
using oras::test::run;
using oras::test::temp_dir;
using oras::test::write_file;

constexpr std::string_view title_key = oras::annotation::title;

// Everything under `dir`, by relative name: "f:<content>", "d" or "l:<target>". Symlinks are
// listed, not followed.
std::map<std::string, std::string> tree_of(const fs::path& dir) {
    std::map<std::string, std::string> out;
    if (!fs::exists(dir)) {
        return out;
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const auto name = fs::relative(e.path(), dir).generic_string();
        if (e.is_symlink()) {
            out[name] = "l:" + fs::read_symlink(e.path()).string();
        } else if (e.is_directory()) {
            out[name] = "d";
        } else {
            out[name] = "f:" + read_file(e.path());
        }
    }
    return out;
}

descriptor describe(std::string_view content, std::string title = {},
                    std::string_view media_type = "application/octet-stream") {
    descriptor d;
    d.media_type = std::string(media_type);
    d.digest = oras::digest::of(content);
    d.size = static_cast<std::int64_t>(content.size());
    if (!title.empty()) {
        d.annotations[std::string(title_key)] = std::move(title);
    }
    return d;
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

// A reader that fails the test if it is read at all.
byte_source unread_reader() {
    return byte_source::from_generator([](std::span<std::byte>) -> asio::awaitable<std::size_t> {
        ADD_FAILURE() << "the source was read";
        co_return 0;
    });
}

// The tar+gzip layer of `dir` named `name`, with its descriptor as push.cpp makes it.
std::pair<descriptor, std::string> directory_layer(const fs::path& dir, const std::string& name,
                                                   const std::string& title) {
    oras::content::detail::directory_archive a(dir, {.name = name});
    std::string bytes;
    std::vector<std::byte> buf(64 * 1024);
    while (const auto n = a.read(buf)) {
        bytes.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    auto d = describe(bytes, title, "application/vnd.oci.image.layer.v1.tar+gzip");
    d.annotations[std::string(oras::annotation::content_digest)] = a.tar_digest().str();
    d.annotations[std::string(oras::annotation::content_unpack)] = "true";
    return {d, bytes};
}

// Names of hidden leftovers (temporary files, staging directories) anywhere under `dir`.
std::vector<std::string> leftovers(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& [name, what] : tree_of(dir)) {
        if (name.find(".oras-") != std::string::npos) {
            out.push_back(name);
        }
    }
    return out;
}

TEST(file_store, round_trip_through_two_stores) {
    temp_dir a_dir, b_dir;
    write_file(a_dir / "hello.txt", "hello, file store");
    write_file(a_dir / "sub/data.bin", std::string(3 * 1024 * 1024 + 17, 'x'));  // several chunks
    write_file(a_dir / "tree/one.txt", "one");
    write_file(a_dir / "tree/nested/two.txt", "two");
    fs::create_directories(a_dir / "tree/empty");
    fs::create_symlink("nested/two.txt", a_dir / "tree/link");

    file_store a(a_dir.path());
    std::vector<descriptor> layers;
    for (const auto& title : {"hello.txt", "sub/data.bin", "tree"}) {
        auto d = a.add(title, {});
        ASSERT_TRUE(d) << d.error().message;
        layers.push_back(*d);
    }
    const auto& dir_desc = layers[2];
    EXPECT_EQ(layers[0].annotation(title_key), "hello.txt");
    EXPECT_EQ(layers[0].media_type, "application/vnd.oci.image.layer.v1.tar");
    EXPECT_EQ(layers[0].digest, oras::digest::of(std::string_view("hello, file store")));
    EXPECT_EQ(dir_desc.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    EXPECT_EQ(dir_desc.annotation(oras::annotation::content_unpack), "true");
    // The descriptor is the archive push.cpp would make of it.
    const auto expected_dir = directory_layer(a_dir / "tree", "tree", "tree").first;
    EXPECT_EQ(dir_desc, expected_dir);

    asio::io_context io;
    file_store b(b_dir / "out");  // created by the first push
    for (const auto& d : layers) {
        EXPECT_TRUE(run(io, a.exists(d)));
        EXPECT_FALSE(run(io, b.exists(d)));
        const auto bytes = run(io, oras::content::fetch_all(a, d, 64 * 1024 * 1024));
        EXPECT_EQ(bytes.size(), static_cast<std::size_t>(d.size));
        run(io, b.push(d, byte_source::from_string(bytes)));
        EXPECT_TRUE(run(io, b.exists(d)));
        // The same content again: done without reading the source.
        run(io, b.push(d, unread_reader()));
        // And served back as pushed (a directory archived again, bytes for bytes).
        EXPECT_EQ(run(io, oras::content::fetch_all(b, d, 64 * 1024 * 1024)), bytes);
    }
    auto expected = tree_of(a_dir.path());
    EXPECT_EQ(tree_of(b_dir / "out"), expected);
    EXPECT_EQ(read_file(b_dir / "out/sub/data.bin").size(), 3u * 1024 * 1024 + 17);
    EXPECT_TRUE(leftovers(b_dir.path()).empty());

    // Manifests (untitled) are kept in memory: the working directory is not touched.
    const std::string manifest = R"({"schemaVersion":2})";
    const auto m = describe(manifest, {}, oras::media_type::image_manifest);
    run(io, b.push(m, byte_source::from_string(manifest)));
    run(io, b.tag(m, "v1"));
    EXPECT_EQ(run(io, b.resolve("v1")), m);
    EXPECT_EQ(run(io, oras::content::fetch_all(b, m)), manifest);
    EXPECT_EQ(tree_of(b_dir / "out"), expected);
}

TEST(file_store, hostile_titles_are_refused_and_nothing_is_written_outside) {
    temp_dir root;
    const auto wd = root / "wd";
    const auto outside = root / "outside";
    fs::create_directories(wd);
    fs::create_directories(outside);
    fs::create_directory_symlink(outside, wd / "link");
    fs::create_directory_symlink("../outside", wd / "rel-link");
    const auto before = tree_of(root.path());

    asio::io_context io;
    file_store s(wd);
    const std::string content = "payload";
    const std::vector<std::string> titles = {
        "../escape.txt", "a/../../escape.txt", (outside / "abs.txt").string(), "/abs.txt",
        "link/through.txt", "rel-link/through.txt", "link", ".", "./", "back\\slash",
        // named like this library's own temporary files
        ".oras-owner-0123456789abcdef", "sub/.x.oras-0123456789abcdef-Ab12Cd",
        ".data.oras-partial-0123456789abcdef0123456789abcdef",
        ".d.oras-partial-0123456789abcdef0123456789abcdef.kept-0123456789abcdef-Ab12Cd",
        ".oras-owner-a.oras-0123456789abcdef-Ab12Cd"};
    for (const auto& title : titles) {
        SCOPED_TRACE(title);
        const auto d = describe(content, title);
        expect_error([&] { run(io, s.push(d, byte_source::from_string(content))); },
                     errc::invalid_argument);
        EXPECT_FALSE(run(io, s.exists(d)));
    }
    // A directory layer, the same.
    temp_dir src;
    write_file(src / "evil/x.txt", "x");
    const std::vector<std::string> dir_titles = {"../evil", "link/evil",
                                                 (outside / "evil").string()};
    for (const auto& title : dir_titles) {
        SCOPED_TRACE(title);
        const auto d_layer = directory_layer(src / "evil", "evil", title);
        const auto& d = d_layer.first;
        const auto& bytes = d_layer.second;
        expect_error([&] { run(io, s.push(d, byte_source::from_string(bytes))); },
                     errc::invalid_argument);
    }
    // Members outside the title: refused by the extractor, and nothing is left in place.
    {
        const auto d_layer = directory_layer(src / "evil", "evil", "good");
        const auto& d = d_layer.first;
        const auto& bytes = d_layer.second;
        expect_error([&] { run(io, s.push(d, byte_source::from_string(bytes))); },
                     errc::invalid_response);
    }
    EXPECT_EQ(tree_of(root.path()), before);
}

TEST(file_store, hidden_titles_merely_like_temporary_names_are_written) {
    temp_dir wd;
    asio::io_context io;
    file_store s(wd.path());
    // Not an owner token (15 digits, upper case), not a partial tag (31 digits), not hidden.
    const std::vector<std::string> titles = {
        ".oras-owner-0123456789abcde", ".x.oras-0123456789ABCDEF-Ab12Cd",
        ".a.oras-partial-0123456789abcdef0123456789abcde",
        "a.oras-partial-0123456789abcdef0123456789abcdef", ".hidden"};
    for (const auto& title : titles) {
        SCOPED_TRACE(title);
        const std::string content = "content of " + title;
        run(io, s.push(describe(content, title), byte_source::from_string(content)));
        EXPECT_EQ(read_file(wd / title), content);
    }
}

TEST(file_store, keep_old_files) {
    temp_dir wd;
    write_file(wd / "a.txt", "old");
    write_file(wd / "tree/one.txt", "old one");
    temp_dir src;
    write_file(src / "tree/one.txt", "new one");
    const auto dir_desc_layer = directory_layer(src / "tree", "tree", "tree");
    const auto& dir_desc = dir_desc_layer.first;
    const auto& dir_bytes = dir_desc_layer.second;
    asio::io_context io;
    const std::string content = "new";
    {
        file_store keep(wd.path(), {.keep_old_files = true});
        const auto d = describe(content, "a.txt");
        expect_error([&] { run(io, keep.push(d, unread_reader())); }, errc::already_exists);
        EXPECT_EQ(read_file(wd / "a.txt"), "old");
        EXPECT_FALSE(run(io, keep.exists(d)));
        expect_error([&] { run(io, keep.push(dir_desc, byte_source::from_string(dir_bytes))); },
                     errc::already_exists);
        EXPECT_EQ(read_file(wd / "tree/one.txt"), "old one");
        // A new name is written all the same.
        const auto fresh = describe(content, "b.txt");
        run(io, keep.push(fresh, byte_source::from_string(content)));
        EXPECT_EQ(read_file(wd / "b.txt"), "new");
    }
    {
        file_store replace(wd.path());
        const auto d = describe(content, "a.txt");
        run(io, replace.push(d, byte_source::from_string(content)));
        EXPECT_EQ(read_file(wd / "a.txt"), "new");
        run(io, replace.push(dir_desc, byte_source::from_string(dir_bytes)));
        EXPECT_EQ(read_file(wd / "tree/one.txt"), "new one");
        // Other content under a title in use is refused.
        const auto other = describe("other", "a.txt");
        expect_error([&] { run(io, replace.push(other, byte_source::from_string("other"))); },
                     errc::already_exists);
        EXPECT_EQ(read_file(wd / "a.txt"), "new");
    }
    EXPECT_TRUE(leftovers(wd.path()).empty());
}

TEST(file_store, wrong_content_leaves_nothing_under_the_destination_name) {
    temp_dir wd;
    asio::io_context io;
    file_store s(wd.path());
    const auto d = describe("expected", "x.txt");
    expect_error([&] { run(io, s.push(d, byte_source::from_string("tampered"))); },
                 errc::digest_mismatch);
    expect_error([&] { run(io, s.push(d, byte_source::from_string("too long by far"))); },
                 errc::size_mismatch);
    // Of unknown length, so that the store finds out while reading.
    auto short_reader = oras::test::unsized(byte_source::from_string("short"));
    expect_error([&] { run(io, s.push(d, std::move(short_reader))); }, errc::size_mismatch);
    EXPECT_FALSE(fs::exists(fs::symlink_status(wd / "x.txt")));
    EXPECT_FALSE(run(io, s.exists(d)));

    // A directory whose compressed bytes, or whose tar, differ from what it is described as.
    temp_dir src;
    write_file(src / "tree/one.txt", "one");
    auto dir_desc_layer = directory_layer(src / "tree", "tree", "tree");
    auto& dir_desc = dir_desc_layer.first;
    auto& dir_bytes = dir_desc_layer.second;
    // Good bytes, but not the ones described: found only at the end, when they are unpacked.
    auto other_digest = dir_desc;
    other_digest.digest = oras::digest::of(std::string(dir_bytes.size(), 'z'));
    expect_error([&] { run(io, s.push(other_digest, byte_source::from_string(dir_bytes))); },
                 errc::digest_mismatch);
    auto wrong_tar = dir_desc;
    wrong_tar.annotations[std::string(oras::annotation::content_digest)] =
        oras::digest::of(std::string_view("not the tar")).str();
    expect_error([&] { run(io, s.push(wrong_tar, byte_source::from_string(dir_bytes))); },
                 errc::digest_mismatch);
    EXPECT_TRUE(tree_of(wd.path()).empty()) << tree_of(wd.path()).size();

    // The right bytes still go through afterwards.
    run(io, s.push(d, byte_source::from_string("expected")));
    EXPECT_EQ(read_file(wd / "x.txt"), "expected");
    run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
    EXPECT_EQ(read_file(wd / "tree/one.txt"), "one");
    EXPECT_TRUE(leftovers(wd.path()).empty());
}

TEST(file_store, wrong_bytes_for_an_existing_directory_change_nothing_in_it) {
    temp_dir src;
    write_file(src / "tree/one.txt", "new one");
    write_file(src / "tree/added.txt", "added");
    const auto layer = directory_layer(src / "tree", "tree", "tree");
    const auto& desc = layer.first;
    const auto& bytes = layer.second;  // named, not bound: clang 14 captures no bindings
    temp_dir wd;
    write_file(wd / "tree/one.txt", "old one");
    write_file(wd / "tree/sub/kept.txt", "kept");
    const auto before = tree_of(wd.path());
    asio::io_context io;
    file_store s(wd.path());
    // The layer's own bytes under another digest (a registry serving what the digest does not
    // name): refused before the first entry is written, though it unpacks in place.
    auto other = desc;
    other.digest = oras::digest::of(std::string(bytes.size(), 'z'));
    expect_error([&] { run(io, s.push(other, byte_source::from_string(bytes))); },
                 errc::digest_mismatch);
    EXPECT_EQ(tree_of(wd.path()), before);
    // Of unknown length, found out while reading: the same.
    auto unsized = oras::test::unsized(byte_source::from_string(bytes));
    expect_error([&] { run(io, s.push(other, std::move(unsized))); }, errc::digest_mismatch);
    EXPECT_EQ(tree_of(wd.path()), before);
    // The right bytes update it in place.
    run(io, s.push(desc, byte_source::from_string(bytes)));
    EXPECT_EQ(read_file(wd / "tree/one.txt"), "new one");
    EXPECT_EQ(read_file(wd / "tree/added.txt"), "added");
    EXPECT_EQ(read_file(wd / "tree/sub/kept.txt"), "kept");
    EXPECT_TRUE(leftovers(wd.path()).empty());
}

TEST(file_store, add_validates_paths) {
    temp_dir root;
    const auto wd = root / "wd";
    write_file(wd / "in.txt", "inside");
    write_file(root / "out.txt", "outside");
    fs::create_directories(root / "outdir");
    fs::create_symlink(root / "out.txt", wd / "sneaky.txt");

    file_store s(wd);
    for (const auto& path :
         {fs::path("../out.txt"), root / "out.txt", fs::path("sneaky.txt"), root / "outdir"}) {
        SCOPED_TRACE(path.string());
        const auto d = s.add("out.txt", path);
        ASSERT_FALSE(d);
        EXPECT_EQ(d.error(), errc::invalid_argument) << d.error().message;
    }
    EXPECT_EQ(s.add("missing", "missing.txt").error(), errc::invalid_argument);
    EXPECT_EQ(s.add("", "in.txt").error(), errc::invalid_argument);
    EXPECT_EQ(s.add("x", "in.txt", "not a media type").error(), errc::invalid_media_type);
    ASSERT_TRUE(s.add("in.txt", {}));
    EXPECT_EQ(s.add("in.txt", "in.txt").error(), errc::already_exists);
    // An absolute path inside the working directory is fine, under any title.
    const auto abs = s.add("renamed.txt", wd / "in.txt", "application/x-test");
    ASSERT_TRUE(abs) << abs.error().message;
    EXPECT_EQ(abs->media_type, "application/x-test");
    // A directory's title is the prefix of its members, nested titles included.
    fs::create_directories(wd / "d/e");
    const auto nested = s.add("d/e", {});
    ASSERT_TRUE(nested) << nested.error().message;
    EXPECT_EQ(nested->annotation(oras::annotation::title), "d/e");

    file_store loose(wd, {.disable_path_validation = true});
    const auto d = loose.add("out.txt", "../out.txt");
    ASSERT_TRUE(d) << d.error().message;
    asio::io_context io;
    EXPECT_EQ(run(io, oras::content::fetch_all(loose, *d)), "outside");
    EXPECT_TRUE(loose.add("sneaky.txt", {}));
}

TEST(file_store, fetch_verifies_what_is_on_disk) {
    temp_dir wd;
    write_file(wd / "a.txt", "original");
    write_file(wd / "tree/one.txt", "one");
    file_store s(wd.path());
    const auto file = s.add("a.txt", {});
    const auto dir = s.add("tree", {});
    ASSERT_TRUE(file && dir);
    write_file(wd / "a.txt", "changed!");  // same size
    write_file(wd / "tree/one.txt", "uno");
    asio::io_context io;
    expect_error([&] { run(io, oras::content::fetch_all(s, *file)); }, errc::digest_mismatch);
    // The archive of the changed tree may differ in size too: then the size is what fails.
    try {
        run(io, oras::content::fetch_all(s, *dir));
        ADD_FAILURE() << "a changed directory was served";
    } catch (const oras::error& e) {
        EXPECT_TRUE(e.code() == errc::digest_mismatch || e.code() == errc::size_mismatch)
            << e.what();
    }
    write_file(wd / "a.txt", "longer than before");
    expect_error([&] { run(io, oras::content::fetch_all(s, *file)); }, errc::size_mismatch);
}

TEST(file_store, exists_resolve_and_tag) {
    temp_dir wd;
    write_file(wd / "a.txt", "same");
    asio::io_context io;
    file_store s(wd.path());
    const auto added = s.add("a.txt", {});
    ASSERT_TRUE(added);

    // A titled descriptor exists only under its title; untitled, by its digest.
    auto untitled = *added;
    untitled.annotations.clear();
    EXPECT_TRUE(run(io, s.exists(untitled)));
    EXPECT_FALSE(run(io, s.exists(describe("same", "b.txt"))));
    auto wrong_size = *added;
    wrong_size.size += 1;
    EXPECT_FALSE(run(io, s.exists(wrong_size)));
    // The same bytes under another title are written as a file of their own.
    run(io, s.push(describe("same", "b.txt"), byte_source::from_string("same")));
    EXPECT_EQ(read_file(wd / "b.txt"), "same");
    EXPECT_EQ(run(io, oras::content::fetch_all(s, describe("same", "c.txt"))), "same");

    // Resolve by digest: content added (as described) or pushed.
    EXPECT_EQ(run(io, s.resolve(added->digest.str())), *added);
    const std::string manifest = R"({"schemaVersion":2,"layers":[]})";
    const auto m = describe(manifest, {}, oras::media_type::image_manifest);
    expect_error([&] { run(io, s.tag(m, "v1")); }, errc::not_found);
    run(io, s.push(m, byte_source::from_string(manifest)));
    EXPECT_TRUE(run(io, s.exists(m)));
    EXPECT_EQ(run(io, s.resolve(m.digest.str())), m);
    run(io, s.tag(m, "v1"));
    EXPECT_EQ(run(io, s.resolve("v1")), m);
    // Tags may name added content too, and move.
    run(io, s.tag(*added, "v1"));
    EXPECT_EQ(run(io, s.resolve("v1")), *added);
    expect_error([&] { run(io, s.resolve("v2")); }, errc::not_found);
    expect_error([&] { run(io, s.resolve("bad tag")); }, errc::invalid_reference);
    expect_error([&] { run(io, s.tag(m, "bad tag")); }, errc::invalid_reference);
    expect_error([&] { run(io, s.resolve(oras::digest::of(std::string_view("nothing")).str())); },
                 errc::not_found);
    expect_error([&] { run(io, oras::content::fetch_all(s, describe("nothing"))); },
                 errc::not_found);

    const auto unknown =
        run(io, s.push_unknown("application/x-test", byte_source::from_string("xyz")));
    EXPECT_EQ(unknown.digest, oras::digest::of(std::string_view("xyz")));
    EXPECT_TRUE(run(io, s.exists(unknown)));
    EXPECT_EQ(tree_of(wd.path()).size(), 2u);  // a.txt, b.txt: nothing else was written
}

TEST(file_store, a_title_being_pushed_is_reserved) {
    temp_dir wd;
    asio::io_context io;
    file_store s(wd.path());
    const std::string content = "slow";
    const auto d = describe(content, "slow.txt");
    // Yields to the event loop before each read, so that the second push runs meanwhile.
    auto inner = byte_source::from_string(content);
    auto slow = byte_source::from_generator(
        [inner](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
            const auto ex = co_await asio::this_coro::executor;
            co_await asio::post(ex, asio::use_awaitable);
            co_return co_await inner.read(buf);
        });
    auto first = asio::co_spawn(io, s.push(d, slow), asio::use_future);
    auto second =
        asio::co_spawn(io, s.push(d, byte_source::from_string(content)), asio::use_future);
    io.run();
    first.get();
    expect_error([&] { second.get(); }, errc::already_exists);
    EXPECT_EQ(read_file(wd / "slow.txt"), content);
    EXPECT_TRUE(run(io, s.exists(d)));
}

TEST(file_store, deferred_commit_puts_files_under_their_titles_only_at_commit) {
    temp_dir wd;
    temp_dir src;
    write_file(src / "tree/one.txt", "one");
    const auto [dir_desc, dir_bytes] = directory_layer(src / "tree", "tree", "tree");
    const auto a = describe("alpha", "a.txt");
    const auto b = describe("beta", "sub/b.txt");
    asio::io_context io;
    file_store s(wd.path(), {.deferred_commit = true});
    run(io, s.push(a, byte_source::from_string("alpha")));
    run(io, s.push(b, byte_source::from_string("beta")));
    run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
    // Written and verified, but nothing under a title yet.
    EXPECT_FALSE(fs::exists(wd / "a.txt"));
    EXPECT_FALSE(fs::exists(wd / "sub/b.txt"));
    EXPECT_FALSE(fs::exists(wd / "tree"));
    // Two files, a staging dir and what it holds, and the owner file of this process's names in
    // each of the two directories.
    const auto pending = leftovers(wd.path());
    EXPECT_EQ(pending.size(), 7u);
    EXPECT_EQ(std::count_if(pending.begin(), pending.end(),
                            [](const std::string& n) {
                                return n.find(".oras-owner-") == 0
                                       || n.find("/.oras-owner-") != std::string::npos;
                            }),
              2);
    // The store already holds them, and serves them from where they are.
    EXPECT_TRUE(run(io, s.exists(a)));
    EXPECT_TRUE(run(io, s.exists(dir_desc)));
    EXPECT_EQ(run(io, oras::content::fetch_all(s, a)), "alpha");
    EXPECT_EQ(run(io, oras::content::fetch_all(s, dir_desc)), dir_bytes);

    s.commit();
    EXPECT_EQ(read_file(wd / "a.txt"), "alpha");
    EXPECT_EQ(read_file(wd / "sub/b.txt"), "beta");
    EXPECT_EQ(read_file(wd / "tree/one.txt"), "one");
    EXPECT_EQ(fs::status(wd / "a.txt").permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read
                  | fs::perms::others_read);
    EXPECT_TRUE(leftovers(wd.path()).empty()) << leftovers(wd.path()).front();
    EXPECT_EQ(run(io, oras::content::fetch_all(s, b)), "beta");
    EXPECT_EQ(s.file_systems_synced(), 2u);  // one file system, before and after the renames
    s.commit();                              // nothing pending: nothing to do
    EXPECT_EQ(s.file_systems_synced(), 2u);
}

TEST(file_store, a_directory_layer_that_unpacks_nothing_says_so) {
    // Only entries that are skipped (a device, a FIFO), or none: no directory to move in.
    for (const auto& bytes :
         {oras::test::tar_builder().entry("d/dev", '3').entry("d/fifo", '6').tgz(),
          oras::test::tar_builder().tgz()}) {
        temp_dir wd;
        auto d = describe(bytes, "d", "application/vnd.oci.image.layer.v1.tar+gzip");
        d.annotations[std::string(oras::annotation::content_unpack)] = "true";
        asio::io_context io;
        file_store s(wd.path());
        try {
            run(io, s.push(d, byte_source::from_string(bytes)));
            ADD_FAILURE() << "unpacked";
        } catch (const oras::error& e) {
            EXPECT_NE(std::string(e.what()).find("unpacked nothing"), std::string::npos)
                << e.what();
        }
        EXPECT_FALSE(fs::exists(wd / "d"));
        EXPECT_TRUE(leftovers(wd.path()).empty()) << leftovers(wd.path()).front();
    }
}

TEST(file_store, a_directory_unpacked_in_place_is_synced) {
    temp_dir wd;
    temp_dir src;
    write_file(src / "tree/one.txt", "one");
    const auto [dir_desc, dir_bytes] = directory_layer(src / "tree", "tree", "tree");
    write_file(wd / "tree/old.txt", "kept");  // an existing directory: updated in place
    asio::io_context io;
    {
        file_store s(wd.path(), {.deferred_commit = true});
        run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
        EXPECT_EQ(s.file_systems_synced(), 0u);
        s.commit();  // nothing to rename, but written: synced before the pull says it is done
        EXPECT_EQ(s.file_systems_synced(), 1u);
        s.commit();
        EXPECT_EQ(s.file_systems_synced(), 1u);
    }
    EXPECT_EQ(read_file(wd / "tree/one.txt"), "one");
    EXPECT_EQ(read_file(wd / "tree/old.txt"), "kept");
    // Without deferred_commit, each directory as its push completes, new or existing.
    fs::remove_all(wd / "tree");
    for (int i = 0; i < 2; ++i) {
        file_store s(wd.path());
        run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
        EXPECT_EQ(s.file_systems_synced(), 1u);
        EXPECT_EQ(read_file(wd / "tree/one.txt"), "one");
    }
}

TEST(file_store, deferred_commit_never_made_leaves_nothing) {
    temp_dir wd;
    temp_dir src;
    write_file(src / "tree/one.txt", "one");
    const auto [dir_desc, dir_bytes] = directory_layer(src / "tree", "tree", "tree");
    asio::io_context io;
    {
        file_store s(wd.path(), {.deferred_commit = true});
        run(io, s.push(describe("alpha", "a.txt"), byte_source::from_string("alpha")));
        run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
        EXPECT_FALSE(leftovers(wd.path()).empty());
    }
    EXPECT_TRUE(tree_of(wd.path()).empty()) << tree_of(wd.path()).begin()->first;
}

TEST(file_store, keep_old_files_takes_back_an_in_place_unpack_never_committed) {
    temp_dir wd;
    temp_dir src;
    write_file(src / "tree/one.txt", "one");
    write_file(src / "tree/sub/two.txt", "two");
    const auto [dir_desc, dir_bytes] = directory_layer(src / "tree", "tree", "tree");
    write_file(wd / "tree/old.txt", "kept");  // an existing directory: unpacked into in place
    const auto before = tree_of(wd.path());
    asio::io_context io;
    {
        // A pull that fails after this layer: the store goes without a commit.
        file_store s(wd.path(), {.keep_old_files = true, .deferred_commit = true});
        run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
        EXPECT_EQ(read_file(wd / "tree/sub/two.txt"), "two");  // in place: written already
    }
    EXPECT_EQ(tree_of(wd.path()), before);
    // Committed, it stays.
    {
        file_store s(wd.path(), {.keep_old_files = true, .deferred_commit = true});
        run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
        s.commit();
    }
    EXPECT_EQ(read_file(wd / "tree/sub/two.txt"), "two");
    EXPECT_EQ(read_file(wd / "tree/old.txt"), "kept");
}

TEST(file_store, keep_old_files_takes_back_an_in_place_unpack_when_the_commit_fails) {
    temp_dir wd;
    temp_dir src;
    write_file(src / "tree/sub/two.txt", "two");
    const auto [dir_desc, dir_bytes] = directory_layer(src / "tree", "tree", "tree");
    write_file(wd / "tree/old.txt", "kept");
    asio::io_context io;
    file_store s(wd.path(), {.keep_old_files = true, .deferred_commit = true});
    run(io, s.push(dir_desc, byte_source::from_string(dir_bytes)));
    const auto b = describe("beta", "b.txt");
    run(io, s.push(b, byte_source::from_string("beta")));
    write_file(wd / "b.txt", "someone else's");  // taken meanwhile: the commit fails
    expect_error([&] { s.commit(); }, errc::already_exists);
    EXPECT_FALSE(fs::exists(wd / "tree/sub"));
    EXPECT_EQ(read_file(wd / "tree/old.txt"), "kept");
    EXPECT_EQ(read_file(wd / "b.txt"), "someone else's");
    // ... and the store forgets it.
    EXPECT_FALSE(run(io, s.exists(dir_desc)));
    EXPECT_TRUE(leftovers(wd.path()).empty()) << leftovers(wd.path()).front();
}

TEST(file_store, deferred_commit_with_keep_old_files_refuses_a_destination_taken_meanwhile) {
    temp_dir wd;
    asio::io_context io;
    file_store s(wd.path(), {.keep_old_files = true, .deferred_commit = true});
    const auto a = describe("alpha", "a.txt");
    const auto b = describe("beta", "b.txt");
    run(io, s.push(a, byte_source::from_string("alpha")));
    run(io, s.push(b, byte_source::from_string("beta")));
    write_file(wd / "b.txt", "someone else's");
    const auto message = expect_error([&] { s.commit(); }, errc::already_exists);
    EXPECT_NE(message.find("b.txt"), std::string::npos) << message;
    EXPECT_EQ(read_file(wd / "a.txt"), "alpha");
    EXPECT_EQ(read_file(wd / "b.txt"), "someone else's");
    // The store forgets what it could not put in place, and leaves no temporary file.
    EXPECT_TRUE(run(io, s.exists(a)));
    EXPECT_FALSE(run(io, s.exists(b)));
    EXPECT_TRUE(leftovers(wd.path()).empty()) << leftovers(wd.path()).front();
}

TEST(file_store, a_hard_link_planted_at_a_partial_name_is_not_written_through) {
    temp_dir wd;
    asio::io_context io;
    const std::string content = oras::test::pattern(
        static_cast<std::size_t>(oras::content::file_store::resume_min_size) + 10, 5);
    const auto d = describe(content, "big.bin");
    // Another file of the directory, linked where the partial file of big.bin would be.
    write_file(wd / "other.txt", "someone else's file");
    const std::string tag(d.digest.encoded().substr(0, 32));
    fs::create_hard_link(wd / "other.txt", wd / (".big.bin.oras-partial-" + tag));
    file_store s(wd.path());
    EXPECT_EQ(s.partial_size(d), 0u);  // not a partial file of this content
    run(io, s.push(d, byte_source::from_string(content)));
    EXPECT_EQ(read_file(wd / "big.bin"), content);
    EXPECT_EQ(read_file(wd / "other.txt"), "someone else's file");
}

TEST(file_store, a_title_in_place_drops_partial_files_of_its_other_versions) {
    temp_dir wd;
    asio::io_context io;
    const auto big = static_cast<std::size_t>(oras::content::file_store::resume_min_size) + 10;
    const std::string content = oras::test::pattern(big, 6);
    const auto d = describe(content, "model.bin");
    // What killed pulls of two other versions left, one still being written by a live process
    // (locked), another title's, and that of a title that begins with this one's partial name.
    write_file(wd / ".model.bin.oras-partial-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
               std::string(1000, 'a'));
    write_file(wd / ".model.bin.oras-partial-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
               std::string(1000, 'b'));
    write_file(wd / ".other.bin.oras-partial-cccccccccccccccccccccccccccccccc",
               std::string(1000, 'c'));
    const auto lookalike = ".model.bin.oras-partial-x.oras-partial-" + std::string(32, 'd');
    write_file(wd / lookalike, std::string(1000, 'd'));
    const int held =
        ::open((wd / ".model.bin.oras-partial-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb").c_str(),
               O_RDWR | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX), 0);
    for (const bool deferred : {false, true}) {
        SCOPED_TRACE(deferred ? "deferred commit" : "committed as pushed");
        write_file(wd / ".model.bin.oras-partial-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                   std::string(1000, 'a'));
        fs::remove(wd / "model.bin");
        file_store s(wd.path(), {.deferred_commit = deferred});
        run(io, s.push(d, byte_source::from_string(content)));
        s.commit();
        EXPECT_EQ(read_file(wd / "model.bin"), content);
        EXPECT_FALSE(fs::exists(wd / ".model.bin.oras-partial-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
        EXPECT_TRUE(fs::exists(
            wd / ".model.bin.oras-partial-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));  // its writer lives
        EXPECT_TRUE(fs::exists(wd / ".other.bin.oras-partial-cccccccccccccccccccccccccccccccc"));
        EXPECT_TRUE(fs::exists(wd / lookalike));
    }
    ::close(held);
}

TEST(file_store, add_to_archives_a_new_directory_once_as_it_streams_into_the_destination) {
    temp_dir wd;
    write_file(wd / "tree/one.txt", "one");
    write_file(wd / "tree/nested/two.bin", std::string(3 * 1024 * 1024 + 5, 'z'));
    write_file(wd / "file.txt", "a file");
    const auto expected = directory_layer(wd / "tree", "tree", "tree");

    asio::io_context io;
    oras::content::memory_store dst;
    file_store s(wd.path());
    std::uint64_t watched = 0;
    const auto added = run(io, s.add_to("tree", {}, {}, dst, [&](byte_source r) {
        auto next = [r, &watched](std::span<std::byte> b) -> asio::awaitable<std::size_t> {
            const auto n = co_await r.read(b);
            watched += n;
            co_return n;
        };
        return byte_source::from_generator(next, r.length(), [r] { r.rewind(); });
    }));
    EXPECT_TRUE(added.sent);
    EXPECT_EQ(added.desc, expected.first);
    EXPECT_EQ(watched, expected.second.size());
    EXPECT_EQ(s.archive_passes(), 1u);
    EXPECT_EQ(run(io, oras::content::fetch_all(dst, expected.first, 64 << 20)), expected.second);
    EXPECT_TRUE(run(io, s.exists(expected.first)));
    EXPECT_EQ(s.add("tree", {}).error(), errc::already_exists);

    // A file is hashed, not sent: the copy that follows sends it if the destination lacks it.
    const auto file = run(io, s.add_to("file.txt", {}, {}, dst));
    EXPECT_FALSE(file.sent);
    EXPECT_EQ(file.desc.digest, oras::digest::of(std::string_view("a file")));
    EXPECT_FALSE(run(io, dst.exists(file.desc)));
    EXPECT_EQ(s.archive_passes(), 1u);
}

TEST(file_store, an_unchanged_directory_is_described_from_the_tree_cache_without_archiving) {
    temp_dir wd, cache;
    write_file(wd / "tree/one.txt", "one");
    write_file(wd / "tree/sub/two.txt", "two");
    std::this_thread::sleep_for(std::chrono::milliseconds(40));  // settled: see tree_cache
    const auto expected = directory_layer(wd / "tree", "tree", "tree");
    const file_store_options o{.tree_cache = cache / "trees"};

    asio::io_context io;
    {
        oras::content::memory_store dst;
        file_store s(wd.path(), o);
        EXPECT_TRUE(run(io, s.add_to("tree", {}, {}, dst)).sent);
        EXPECT_EQ(s.archive_passes(), 1u);
    }
    {
        oras::content::memory_store dst;
        file_store s(wd.path(), o);
        const auto again = run(io, s.add_to("tree", {}, {}, dst));
        EXPECT_FALSE(again.sent);
        EXPECT_EQ(again.desc, expected.first);
        EXPECT_EQ(s.archive_passes(), 0u);
        // Fetched (the destination lacks it), it is archived then, and verified.
        EXPECT_EQ(run(io, oras::content::fetch_all(s, again.desc, 64 << 20)), expected.second);
        EXPECT_EQ(s.archive_passes(), 1u);
    }
    {
        file_store s(wd.path(), o);
        const auto d = s.add("tree", {});
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_EQ(*d, expected.first);
        EXPECT_EQ(s.archive_passes(), 0u);
    }
    // Under another title it is another archive: not taken from the cache.
    {
        file_store s(wd.path(), o);
        const auto d = s.add("renamed", "tree");
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_EQ(s.archive_passes(), 1u);
        EXPECT_NE(d->digest, expected.first.digest);
    }
    // Changed: archived again, and described by its new bytes.
    write_file(wd / "tree/one.txt", "ONE");
    std::this_thread::sleep_for(std::chrono::milliseconds(40));
    {
        file_store s(wd.path(), o);
        const auto d = s.add("tree", {});
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_EQ(s.archive_passes(), 1u);
        EXPECT_EQ(*d, directory_layer(wd / "tree", "tree", "tree").first);
        EXPECT_NE(d->digest, expected.first.digest);
    }
}

// Past the time a file must be unchanged before its digest is remembered (two seconds).
void let_file_settle() {
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
}

TEST(file_store, an_unchanged_large_file_is_described_from_the_tree_cache_without_reading_it) {
    temp_dir wd, cache;
    const auto big = std::string(file_store::digest_cache_min_size + 3, 'b');
    write_file(wd / "big.bin", big);
    write_file(wd / "small.txt", "small");
    let_file_settle();
    const file_store_options o{.tree_cache = cache / "trees"};
    const auto add_both = [&](std::size_t hashed) {
        file_store s(wd.path(), o);
        const auto b = s.add("big.bin", {});
        const auto t = s.add("small.txt", {});
        EXPECT_TRUE(b && t);
        EXPECT_EQ(s.files_hashed(), hashed);
        return std::pair(*b, *t);
    };
    const auto first = add_both(2);
    EXPECT_EQ(first.first.digest, oras::digest::of(big));
    EXPECT_EQ(first.first.size, static_cast<std::int64_t>(big.size()));
    // Small files are always hashed (cheaper than a look-up); the large one is remembered.
    EXPECT_EQ(add_both(1), first);
    {
        asio::io_context io;
        oras::content::memory_store dst;
        file_store s(wd.path(), o);
        EXPECT_FALSE(run(io, s.add_to("big.bin", {}, {}, dst)).sent);
        EXPECT_EQ(s.files_hashed(), 0u);
    }

    // Rewritten with the same size (and its mtime put back): read again, described anew.
    struct stat before {};
    ASSERT_EQ(::stat((wd / "big.bin").c_str(), &before), 0);
    auto changed = big;
    changed[7] = 'c';
    write_file(wd / "big.bin", changed);
    const timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, (wd / "big.bin").c_str(), times, 0), 0);
    let_file_settle();
    const auto second = add_both(2);
    EXPECT_EQ(second.first.digest, oras::digest::of(changed));
    EXPECT_EQ(add_both(1), second);

    // Forgotten (a destination refused its bytes): read again next time. A file that was read
    // has nothing to forget.
    {
        file_store s(wd.path(), o);
        const auto b = s.add("big.bin", {});
        const auto t = s.add("small.txt", {});
        ASSERT_TRUE(b && t);
        EXPECT_EQ(s.files_hashed(), 1u);
        EXPECT_FALSE(s.forget_cached_digest(*t));
        EXPECT_TRUE(s.forget_cached_digest(*b));
    }
    EXPECT_EQ(add_both(2), second);

    // Without a cache every file is read.
    file_store s(wd.path());
    ASSERT_TRUE(s.add("big.bin", {}));
    EXPECT_EQ(s.files_hashed(), 1u);
}

TEST(file_store, a_large_file_written_just_before_it_is_read_is_not_remembered) {
    temp_dir wd, cache;
    write_file(wd / "big.bin", std::string(file_store::digest_cache_min_size, 'x'));
    const file_store_options o{.tree_cache = cache / "trees"};
    const auto hashed = [&] {
        file_store s(wd.path(), o);
        EXPECT_TRUE(s.add("big.bin", {}));
        return s.files_hashed();
    };
    EXPECT_EQ(hashed(), 1u);
    let_file_settle();
    EXPECT_EQ(hashed(), 1u);  // nothing was remembered: the first read may predate a write
    EXPECT_EQ(hashed(), 0u);  // read once settled: remembered
}

TEST(file_store, a_directory_changed_just_before_it_was_archived_is_checked_not_sent_again) {
    temp_dir wd, cache;
    write_file(wd / "tree/one.txt", "one");  // now: not settled when first archived
    const file_store_options o{.tree_cache = cache / "trees"};
    asio::io_context io;
    oras::content::memory_store dst;
    {
        file_store s(wd.path(), o);
        EXPECT_TRUE(run(io, s.add_to("tree", {}, {}, dst)).sent);
    }
    file_store s(wd.path(), o);
    const auto again = run(io, s.add_to("tree", {}, {}, dst));
    // Probably the same bytes: archived to learn their digest, not sent blind.
    EXPECT_FALSE(again.sent);
    EXPECT_EQ(s.archive_passes(), 1u);
    EXPECT_EQ(again.desc, directory_layer(wd / "tree", "tree", "tree").first);
}

TEST(file_store, add_to_reports_what_the_destination_throws_and_keeps_the_title_free) {
    temp_dir wd;
    write_file(wd / "tree/one.txt", "one");
    write_file(wd / "layout/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    write_file(wd / "layout/index.json", R"({"schemaVersion":2,"manifests":[]})");
    oras::content::oci_layout dst(wd / "layout", {.read_only = true});
    asio::io_context io;
    file_store s(wd.path());
    expect_error([&] { run(io, s.add_to("tree", {}, {}, dst)); }, errc::unsupported);
    // Not recorded, not reserved: adding it again works.
    EXPECT_TRUE(s.add("tree", {}));
}

}  // namespace
