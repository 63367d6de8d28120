// push and pull through the library on local stores only — an OCI layout (also through
// `oras::blocking`) and a memory store: round trips, nested directories, keep-old-files and
// media-type filters, damaged blobs, input refused before anything is stored, and hostile
// artifacts refused on pull. The same against a registry: test/integration/ops_test.cpp.
#include <oras/content/memory_store.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/ops/location.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>
#include <oras/test/files.hpp>
#include <oras/test/forwarding.hpp>
#include <oras/test/ops_sandbox.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <boost/asio/io_context.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::descriptor;
using oras::test::check_pull_result;
using oras::test::check_push_result;
using oras::test::describe;
using oras::test::error_of;
using oras::test::pattern;
using oras::test::read_file;
using oras::test::sandbox;
using oras::test::snapshot;
using oras::test::subset;
using oras::test::tree;
using oras::test::write_file;

/// Runs coroutines on a private io_context.
struct runner {
    template <class T>
    T operator()(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }
    asio::io_context io;
};

/// Stores `data` in `t` and returns its descriptor.
descriptor put(runner& run, oras::content::target& t, std::string data, std::string media_type) {
    auto d = describe(data, std::move(media_type));
    run(t.push(d, oras::byte_source::from_string(std::move(data))));
    return d;
}

/// Stores an artifact manifest (empty config) with `layers` in `t`, tagged `tag`.
descriptor put_artifact(runner& run, oras::content::target& t, std::vector<descriptor> layers,
                        const std::string& tag) {
    put(run, t, "{}", std::string(oras::media_type::empty_json));
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.artifact_type = "application/vnd.test.crafted";
    m.config = oras::empty_json_descriptor();
    m.layers = std::move(layers);
    const auto bytes = m.serialize();
    const auto d = describe(bytes, m.media_type);
    run(t.push_tagged(d, oras::byte_source::from_string(bytes), std::vector<std::string>{tag}));
    return d;
}

}  // namespace

TEST(ops, blocking_layout_round_trip) {
    sandbox s;
    s.make_content();
    const auto layout = s.root / "layout";
    auto o = s.options();
    o.tags = {"v1", "v2"};
    const auto pushed = oras::blocking::push_layout(layout, o);
    check_push_result(pushed);
    EXPECT_EQ(pushed.blobs_uploaded, 4u);
    const std::vector<std::string> refs = {"v1", "v2", pushed.manifest.digest.str()};
    for (std::size_t i = 0; i < refs.size(); ++i) {
        const auto& ref = refs[i];
        const auto out = s.root / ("out-" + std::to_string(i));
        oras::ops::pull_options po;
        po.output = out;
        const auto pulled = oras::blocking::pull_layout(layout, ref, po);
        check_pull_result(pulled, out, pushed.manifest);
        EXPECT_EQ(snapshot(out), s.content()) << ref;
    }
    // Every blob file hashes to its name.
    for (const auto& e : fs::directory_iterator(layout / "blobs/sha256")) {
        EXPECT_EQ(oras::digest::of(read_file(e.path())).encoded(), e.path().filename().string());
    }
    EXPECT_EQ(error_of([&] { oras::blocking::pull_layout(layout, "nope", {}); }),
              oras::errc::not_found);
    // A layout that does not exist is not created by a pull.
    EXPECT_THROW(oras::blocking::pull_layout(s.root / "nowhere", "v1", {}), oras::error);
    EXPECT_FALSE(fs::exists(s.root / "nowhere"));
}

TEST(ops, a_nested_directory_comes_back_at_its_path) {
    sandbox s;
    s.make_content();
    const auto layout = s.root / "layout";
    auto o = s.options();
    o.files = {{"tree/sub", ""}};
    o.config.reset();
    o.annotations.erase("a.txt");
    o.tags = {"nested"};
    const auto pushed = oras::blocking::push_layout(layout, o);
    ASSERT_EQ(pushed.layers.size(), 1u);
    EXPECT_EQ(pushed.layers[0].annotation(oras::annotation::title), "tree/sub");
    oras::ops::pull_options po;
    po.output = s.out;
    oras::blocking::pull_layout(layout, "nested", po);
    EXPECT_EQ(snapshot(s.out / "tree/sub"), snapshot(s.work / "tree/sub"));
    EXPECT_FALSE(fs::exists(s.out / "tree/top.txt"));  // only what was pushed
}

TEST(ops, round_trip_on_an_oci_layout) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::oci_layout layout(s.root / "layout");
    auto o = s.options();
    o.tags = {"v1"};
    o.version = oras::ops::manifest_version::v1_0;
    const auto pushed = run(oras::ops::push(layout, o));
    const auto m = oras::image_manifest::parse(pushed.manifest_bytes);
    ASSERT_TRUE(m.has_value());
    EXPECT_EQ(m->artifact_type, "");
    EXPECT_EQ(m->config.media_type, "application/vnd.test.config+json");
    EXPECT_EQ(pushed.manifest_bytes.find("artifactType"), std::string::npos);
    oras::ops::pull_options po;
    po.output = s.out;
    const auto pulled = run(oras::ops::pull(layout, "v1", po));
    check_pull_result(pulled, s.out, pushed.manifest);
    EXPECT_EQ(snapshot(s.out), s.content());

    // image-spec 1.0 without a config: the artifact type is the config's media type.
    oras::ops::push_options plain;
    plain.working_dir = s.work;
    plain.files = {{"a.txt", ""}};
    plain.artifact_type = "application/vnd.test.old";
    plain.version = oras::ops::manifest_version::v1_0;
    const auto old = run(oras::ops::push(layout, plain));
    const auto om = oras::image_manifest::parse(old.manifest_bytes);
    ASSERT_TRUE(om.has_value());
    EXPECT_EQ(om->config.media_type, "application/vnd.test.old");
    EXPECT_EQ(old.manifest_bytes.find("artifactType"), std::string::npos);
}

TEST(ops, copy_locations_checks_a_destination_digest) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::oci_layout layout(s.root / "src");
    auto o = s.options();
    o.tags = {"v1"};
    const auto pushed = run(oras::ops::push(layout, o));
    const auto src = (s.root / "src").string() + ":v1";
    const auto dst = (s.root / "dst").string();
    const auto copy = [&](const std::string& to, std::vector<std::string> tags) {
        oras::ops::copy_options co;
        co.tags = std::move(tags);
        boost::asio::io_context io;
        return oras::test::run(
            io, oras::ops::copy_locations(io.get_executor(), {src, true, {}}, {to, true, {}}, co));
    };
    const std::string zero = "sha256:" + std::string(64, '0');
    // Another digest than the root's: nothing copied; with tags to add, refused outright.
    EXPECT_EQ(error_of([&] { copy(dst + "@" + zero, {}); }), oras::errc::digest_mismatch);
    EXPECT_EQ(error_of([&] { copy(dst + "@" + zero, {"extra"}); }), oras::errc::invalid_reference);
    EXPECT_FALSE(fs::exists(s.root / "dst"));
    // The root's own digest: copied, untagged.
    copy(dst + "@" + pushed.manifest.digest.str(), {});
    oras::content::oci_layout out(s.root / "dst");
    EXPECT_TRUE(run(out.exists(pushed.manifest)));
}

TEST(ops, layout_pull_of_a_damaged_blob_keeps_the_old_file) {
    sandbox s;
    s.make_content();
    runner run;
    const auto dir = s.root / "layout";
    oras::content::oci_layout layout(dir);
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"data.bin", ""}};
    o.tags = {"v1"};
    const auto pushed = run(oras::ops::push(layout, o));
    // Same size, other bytes.
    auto damaged = read_file(s.work / "data.bin");
    damaged[damaged.size() / 2] = static_cast<char>(damaged[damaged.size() / 2] ^ 0x5a);
    write_file(layout.blob_path(pushed.layers.at(0).digest), damaged);

    fs::create_directories(s.out);
    write_file(s.out / "data.bin", "old");
    oras::ops::pull_options po;
    po.output = s.out;
    EXPECT_EQ(error_of([&] { run(oras::ops::pull(layout, "v1", po)); }),
              oras::errc::digest_mismatch);
    EXPECT_EQ(snapshot(s.out), (tree{{"data.bin", "file:old"}}));  // no temporary file left
}

TEST(ops, keep_old_files_and_media_type_filter) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::oci_layout layout(s.root / "layout");
    auto o = s.options();
    o.tags = {"v1"};
    run(oras::ops::push(layout, o));
    oras::ops::pull_options po;
    po.output = s.out;
    run(oras::ops::pull(layout, "v1", po));
    write_file(s.out / "a.txt", "mine");
    po.keep_old_files = true;
    EXPECT_EQ(error_of([&] { run(oras::ops::pull(layout, "v1", po)); }),
              oras::errc::already_exists);
    EXPECT_EQ(read_file(s.out / "a.txt"), "mine");
    po.keep_old_files = false;
    run(oras::ops::pull(layout, "v1", po));
    EXPECT_EQ(snapshot(s.out), s.content());

    oras::ops::pull_options filtered;
    filtered.output = s.root / "filtered";
    filtered.media_types = {std::string(oras::media_type::image_layer)};
    const auto r = run(oras::ops::pull(layout, "v1", filtered));
    EXPECT_EQ(r.skipped, 2u);
    EXPECT_EQ(snapshot(filtered.output), subset(s.content(), {"data.bin"}));
}

TEST(ops, push_refuses_bad_input_before_sending) {
    sandbox s;
    s.make_content();
    write_file(s.root / "outside.txt", "outside");
    runner run;
    oras::content::memory_store store;
    const auto base = [&] {
        oras::ops::push_options o;
        o.working_dir = s.work;
        o.files = {{"a.txt", ""}, {"tree", ""}};
        return o;
    };
    const auto refused = [&](oras::ops::push_options o, oras::errc code, const char* what) {
        SCOPED_TRACE(what);
        EXPECT_EQ(error_of([&] { run(oras::ops::push(store, o)); }), code);
        EXPECT_EQ(store.size(), 0u);
    };
    auto o = base();
    o.files.push_back({"missing.txt", ""});
    refused(o, oras::errc::invalid_argument, "missing file");
    o = base();
    o.files.push_back({"../outside.txt", ""});
    refused(o, oras::errc::invalid_argument, "outside (relative)");
    o = base();
    o.files.push_back({s.root / "outside.txt", ""});
    refused(o, oras::errc::invalid_argument, "outside (absolute)");
    o = base();
    o.files.push_back({"./a.txt", ""});
    refused(o, oras::errc::invalid_argument, "duplicate title");
    o = base();
    o.annotations["nope.txt"]["k"] = "v";  // passed over, as oras does, and reported
    {
        oras::content::memory_store other;
        const auto r = run(oras::ops::push(other, o));
        EXPECT_EQ(r.unused_annotation_keys, std::vector<std::string>{"nope.txt"});
        EXPECT_EQ(r.manifest_bytes.find("\"k\""), std::string::npos);
    }
    o = base();
    o.files[0].media_type = "not a media type";
    refused(o, oras::errc::invalid_media_type, "bad media type");
    o = base();
    o.artifact_type = "nope";
    refused(o, oras::errc::invalid_media_type, "bad artifact type");
    o = base();
    o.tags = {"bad tag"};
    refused(o, oras::errc::invalid_reference, "bad tag");
    o = base();
    o.files.push_back({"", ""});
    refused(o, oras::errc::invalid_argument, "empty path");
    // A `created` annotation must be an RFC 3339 date and time, as oras-go's pack asks.
    for (const std::string bad :
         {"bad", "2024-02-30T10:00:00Z", "2024-01-01 10:00:00Z", "2024-01-01T10:00:00",
          "2024-01-01T24:00:00Z", "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00+1:00",
          "2024-01-01t10:00:00Z", "2024-01-01T10:00:00Zjunk"}) {
        o = base();
        o.annotations["$manifest"]["org.opencontainers.image.created"] = bad;
        refused(o, oras::errc::invalid_argument, bad.c_str());
    }
    for (const std::string good : {"2024-02-29T10:00:00Z", "2023-12-31T23:59:59.123456789+05:30",
                                   "2024-01-01T00:00:00,5-08:00"}) {
        o = base();
        o.annotations["$manifest"]["org.opencontainers.image.created"] = good;
        oras::content::memory_store other;
        EXPECT_NE(run(oras::ops::push(other, o)).manifest_bytes.find(good), std::string::npos)
            << good;
    }

    // Allowed when asked for: titled by the file name.
    o = base();
    o.files.push_back({"../outside.txt", ""});
    o.disable_path_validation = true;
    const auto pushed = run(oras::ops::push(store, o));
    EXPECT_EQ(pushed.layers.back().annotation(oras::annotation::title), "outside.txt");

    // Annotation files.
    EXPECT_FALSE(oras::ops::parse_annotation_file("[]", "a.json").has_value());
    EXPECT_FALSE(
        oras::ops::parse_annotation_file(R"({"$manifest":{"k":1}})", "a.json").has_value());
    EXPECT_FALSE(oras::ops::parse_annotation_file(R"({"$manifest":{"k":"a","k":"b"}})", "a.json")
                     .has_value());
    // `null` is no annotations, as Go decodes it (a nil map).
    EXPECT_TRUE(oras::ops::parse_annotation_file("null", "a.json").value().empty());
    EXPECT_TRUE(
        oras::ops::parse_annotation_file(R"({"$manifest":null})", "a.json").value().empty());
    const auto parsed = oras::ops::parse_annotation_file(
        R"({"$manifest":{"k":"v"},"$config":{},"a.txt":{"x":"y"}})", "a.json");
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->at("$manifest").at("k"), "v");
    EXPECT_EQ(parsed->at("a.txt").at("x"), "y");
}

/// A destination that runs `after_push` once a blob is in.
class watched_destination final : public oras::test::forwarding {
  public:
    using forwarding::forwarding;
    asio::awaitable<void> push(descriptor d, oras::byte_source src) override {
        co_await to_.push(d, std::move(src));
        pushed.push_back(std::string(d.annotation(oras::annotation::title)));
        if (after_push) {
            after_push(d);
        }
    }
    std::function<void(const descriptor&)> after_push{};
    std::vector<std::string> pushed{};
};

// As oras: a file's annotations are those of the name it was given by (`./a.txt` is not
// `a.txt`), and a symlink pushed is titled by its own name, not its target's.
TEST(ops, annotations_follow_the_name_given_and_a_symlink_keeps_its_name) {
    sandbox s;
    s.make_content();
    fs::create_symlink("a.txt", s.work / "link.txt");
    runner run;
    oras::content::memory_store store;
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"./a.txt", ""}, {"link.txt", ""}};
    o.annotations["./a.txt"]["k"] = "given";
    o.annotations["a.txt"]["k"] = "title";
    const auto r = run(oras::ops::push(store, o));
    ASSERT_EQ(r.layers.size(), 2u);
    EXPECT_EQ(r.layers[0].annotation(oras::annotation::title), "a.txt");
    EXPECT_EQ(r.layers[0].annotation("k"), "given");
    EXPECT_EQ(r.layers[1].annotation(oras::annotation::title), "link.txt");
    EXPECT_EQ(r.layers[1].digest, r.layers[0].digest);
    EXPECT_EQ(r.unused_annotation_keys, std::vector<std::string>{"a.txt"});
}

TEST(ops, push_sends_each_layer_as_soon_as_it_is_hashed) {
    // One at a time: a.txt is in the destination before b.txt is read. Shown by rewriting
    // b.txt (same size) once a.txt is in: b.txt goes with its new bytes. Had every file been
    // hashed before the first was sent, b.txt would go under its old digest and be refused.
    sandbox s;
    write_file(s.work / "a.txt", "first file");
    write_file(s.work / "b.txt", "old second");
    runner run;
    oras::content::memory_store store;
    watched_destination dst(store);
    dst.after_push = [&](const descriptor& d) {
        if (d.annotation(oras::annotation::title) == "a.txt") {
            write_file(s.work / "b.txt", "new second");
        }
    };
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"a.txt", ""}, {"b.txt", ""}};
    o.concurrency = 1;
    const auto pushed = run(oras::ops::push(dst, o));
    ASSERT_EQ(pushed.layers.size(), 2u);
    EXPECT_EQ(pushed.layers[1].digest, oras::digest::of(std::string_view("new second")));
    EXPECT_EQ(run(oras::content::fetch_all(store, pushed.layers[1])), "new second");
    EXPECT_EQ(pushed.blobs_uploaded, 3u);  // two layers and the config
    // Layers first, in order, then the config and the manifest (untitled).
    EXPECT_EQ(dst.pushed, (std::vector<std::string>{"a.txt", "b.txt", "", ""}));
}

TEST(ops, push_of_a_missing_config_sends_nothing) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::memory_store store;
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"a.txt", ""}};
    o.config = oras::ops::push_file{"no-config.json", ""};
    EXPECT_EQ(error_of([&] { run(oras::ops::push(store, o)); }), oras::errc::invalid_argument);
    // push.hpp: "a missing file ... [is] refused before anything is sent".
    EXPECT_EQ(store.size(), 0u);
}

TEST(ops, an_artifact_of_no_files_has_the_empty_descriptor_as_its_layer) {
    sandbox s;
    runner run;
    for (const bool with_config : {false, true}) {
        SCOPED_TRACE(with_config ? "a config of its own" : "the empty config");
        oras::content::memory_store store;
        oras::ops::push_options o;
        o.working_dir = s.work;
        o.artifact_type = "application/vnd.test.none";
        o.created_annotation = false;
        if (with_config) {
            write_file(s.work / "config.json", R"({"a":1})");
            o.config = oras::ops::push_file{"config.json", "application/vnd.test.config"};
        }
        const auto pushed = run(oras::ops::push(store, o));
        const auto bytes = run(oras::content::fetch_all(store, pushed.manifest, 1 << 20));
        const auto m = oras::image_manifest::parse(bytes);
        ASSERT_TRUE(m);
        // As oras-go packs image-spec 1.1 (PackManifest): the empty descriptor, its data inline.
        ASSERT_EQ(m->layers.size(), 1u);
        EXPECT_EQ(m->layers[0], oras::empty_json_descriptor());
        EXPECT_TRUE(m->layers[0].data.has_value());
        EXPECT_TRUE(pushed.layers.empty());  // no file was pushed
        EXPECT_TRUE(run(store.exists(oras::empty_json_descriptor())));
        if (!with_config) {
            // The whole manifest, byte for byte as oras writes it for `oras push --artifact-type
            // application/vnd.test.none` with no file and no created annotation.
            const std::string e =
                R"({"mediaType":"application/vnd.oci.empty.v1+json",)"
                R"("digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",)"
                R"("size":2,"data":"e30="})";
            EXPECT_EQ(
                bytes,
                R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                R"("artifactType":"application/vnd.test.none","config":)"
                    + e + R"(,"layers":[)" + e + "]}");
        }
    }
    // image-spec 1.0 has no such rule: no layer, as oras.
    oras::content::memory_store store;
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.version = oras::ops::manifest_version::v1_0;
    o.created_annotation = false;
    const auto pushed = run(oras::ops::push(store, o));
    const auto m =
        oras::image_manifest::parse(run(oras::content::fetch_all(store, pushed.manifest, 1 << 20)));
    ASSERT_TRUE(m);
    EXPECT_TRUE(m->layers.empty());
}

TEST(ops, pull_refuses_titles_outside_the_output_directory) {
    sandbox s;
    runner run;
    oras::content::memory_store store;
    ASSERT_FALSE(fs::exists("/abs"));
    const std::vector<std::string> titles = {
        "../evil", "/abs/path", "a/../../evil", (s.root / "abs-evil").string(), "..", ""};
    for (std::size_t i = 0; i < titles.size(); ++i) {
        SCOPED_TRACE(titles[i]);
        auto layer = put(run, store, "evil " + std::to_string(i),
                         std::string(oras::media_type::image_layer));
        layer.annotations[std::string(oras::annotation::title)] = titles[i];
        // A good layer beside it must not be written either.
        auto good = put(run, store, "good", std::string(oras::media_type::image_layer));
        good.annotations[std::string(oras::annotation::title)] = "good.txt";
        const auto tag = "t" + std::to_string(i);
        put_artifact(run, store, {good, layer}, tag);
        const auto before = snapshot(s.root, {"out"});
        oras::ops::pull_options po;
        po.output = s.out;
        if (titles[i].empty()) {  // untitled layers are skipped, not refused
            const auto pulled = run(oras::ops::pull(store, tag, po));
            EXPECT_EQ(pulled.skipped, 1u);
            EXPECT_EQ(snapshot(s.out), (tree{{"good.txt", "file:good"}}));
        } else {
            EXPECT_THROW(run(oras::ops::pull(store, tag, po)), oras::error);
            EXPECT_EQ(snapshot(s.out), tree{});
        }
        EXPECT_EQ(snapshot(s.root, {"out"}), before);
        fs::remove_all(s.out);
    }
    EXPECT_FALSE(fs::exists("/abs"));
}

TEST(ops, pull_refuses_two_layers_with_one_title) {
    sandbox s;
    runner run;
    oras::content::memory_store store;
    auto one = put(run, store, "one", std::string(oras::media_type::image_layer));
    auto two = put(run, store, "two", std::string(oras::media_type::image_layer));
    one.annotations[std::string(oras::annotation::title)] = "same.txt";
    two.annotations[std::string(oras::annotation::title)] = "same.txt";
    put_artifact(run, store, {one, two}, "v1");
    oras::ops::pull_options po;
    po.output = s.out;
    EXPECT_EQ(error_of([&] { run(oras::ops::pull(store, "v1", po)); }),
              oras::errc::invalid_manifest);
    EXPECT_EQ(snapshot(s.out), tree{});
    // Titles that differ as text but land on one path.
    for (const std::string other : {"./same.txt", "same.txt/", ".//same.txt"}) {
        two.annotations[std::string(oras::annotation::title)] = other;
        put_artifact(run, store, {one, two}, "v2");
        EXPECT_EQ(error_of([&] { run(oras::ops::pull(store, "v2", po)); }),
                  oras::errc::invalid_manifest)
            << other;
        EXPECT_EQ(snapshot(s.out), tree{}) << other;
    }
}

TEST(ops, pull_refuses_a_title_inside_another_before_writing_anything) {
    sandbox s;
    runner run;
    oras::content::memory_store store;
    auto outer = put(run, store, "outer", std::string(oras::media_type::image_layer));
    auto inner = put(run, store, "inner", std::string(oras::media_type::image_layer));
    auto beside = put(run, store, "beside", std::string(oras::media_type::image_layer));
    beside.annotations[std::string(oras::annotation::title)] = "d-x";  // sorts between d and d/
    oras::ops::pull_options po;
    po.output = s.out;
    int n = 0;
    for (const auto& [a, b] : std::vector<std::pair<std::string, std::string>>{
             {"d", "d/a"}, {"d/a", "d"}, {"d", "d/sub/a"}, {"./d/", "d/a"}}) {
        outer.annotations[std::string(oras::annotation::title)] = a;
        inner.annotations[std::string(oras::annotation::title)] = b;
        const auto tag = "o" + std::to_string(n++);
        put_artifact(run, store, {outer, beside, inner}, tag);
        try {
            run(oras::ops::pull(store, tag, po));
            ADD_FAILURE() << a << " and " << b << " pulled";
        } catch (const oras::error& e) {
            EXPECT_EQ(e.code(), oras::errc::invalid_manifest) << e.what();
            EXPECT_NE(std::string(e.what()).find("overlap"), std::string::npos) << e.what();
        }
        EXPECT_EQ(snapshot(s.out), tree{}) << a << " and " << b;
    }
    // Names that only share a prefix do not overlap.
    outer.annotations[std::string(oras::annotation::title)] = "d";
    inner.annotations[std::string(oras::annotation::title)] = "da/a";
    put_artifact(run, store, {outer, beside, inner}, "fine");
    EXPECT_EQ(run(oras::ops::pull(store, "fine", po)).files.size(), 3u);
}

TEST(ops, pull_reads_a_manifest_listed_many_times_once) {
    sandbox s;
    runner run;
    oras::content::memory_store store;
    auto titled = put(run, store, "one", std::string(oras::media_type::image_layer));
    titled.annotations[std::string(oras::annotation::title)] = "one.txt";
    const auto untitled = put(run, store, "two", std::string(oras::media_type::image_layer));
    const auto manifest = put_artifact(run, store, {titled, untitled}, "v1");
    oras::image_index index;
    index.media_type = std::string(oras::media_type::image_index);
    index.manifests.assign(1000, manifest);
    const auto bytes = index.serialize();
    const auto d = describe(bytes, index.media_type);
    run(store.push_tagged(d, oras::byte_source::from_string(bytes),
                          std::vector<std::string>{"many"}));
    oras::ops::pull_options po;
    po.output = s.out;
    const auto pulled = run(oras::ops::pull(store, "many", po));
    EXPECT_EQ(pulled.files.size(), 1u);
    // Its layers are collected once, not once per listing.
    EXPECT_EQ(pulled.untitled, 1u);
    EXPECT_EQ(read_file(s.out / "one.txt"), "one");
}

TEST(ops, pull_takes_the_subject_and_the_config_when_asked) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::memory_store store;
    oras::ops::push_options base;
    base.working_dir = s.work;
    base.files = {{"a.txt", ""}};
    base.tags = {"base"};
    const auto subject = run(oras::ops::push(store, base));
    oras::ops::push_options sig;
    sig.working_dir = s.work;
    sig.files = {{"tree", ""}};
    sig.config = oras::ops::push_file{"config.json", "application/vnd.test.config"};
    sig.subject = subject.manifest;
    sig.tags = {"sig"};
    run(oras::ops::push(store, sig));
    oras::ops::push_options none;  // an artifact of no files: its layer is the empty one
    none.working_dir = s.work;
    none.subject = subject.manifest;
    none.tags = {"none"};
    run(oras::ops::push(store, none));

    const auto pull = [&](const std::string& ref, const std::string& out,
                          const std::function<void(oras::ops::pull_options&)>& set) {
        oras::ops::pull_options po;
        po.output = s.root / out;
        set(po);
        return run(oras::ops::pull(store, ref, po));
    };
    auto r = pull("sig", "plain", [](auto&) {});
    EXPECT_EQ(snapshot(s.root / "plain"), subset(s.content(), {"tree"}));
    r = pull("sig", "subject", [](auto& po) { po.include_subject = true; });
    EXPECT_EQ(snapshot(s.root / "subject"), subset(s.content(), {"a.txt", "tree"}));
    EXPECT_EQ(r.files.size(), 2u);
    r = pull("sig", "config", [](auto& po) {
        po.config_title = "cfg/config.json";
        po.config_media_type = "application/vnd.test.config";
    });
    EXPECT_EQ(read_file(s.root / "config/cfg/config.json"), R"({"ops":1})");
    EXPECT_EQ(r.files.size(), 2u);
    r = pull("sig", "other-type", [](auto& po) {
        po.config_title = "config.json";
        po.config_media_type = "application/vnd.test.other";
    });
    EXPECT_FALSE(fs::exists(s.root / "other-type/config.json"));
    // The first config met is the one (oras's getConfigOnce): the subject's, of the type asked
    // for, is not taken instead.
    r = pull("sig", "first-only", [](auto& po) {
        po.include_subject = true;
        po.config_title = "config.json";
        po.config_media_type = std::string(oras::media_type::empty_json);
    });
    EXPECT_FALSE(fs::exists(s.root / "first-only/config.json"));
    EXPECT_TRUE(fs::exists(s.root / "first-only/a.txt"));
    // No file: nothing written, nothing skipped (the empty layer is no file), as oras.
    r = pull("none", "none", [](auto&) {});
    EXPECT_TRUE(r.files.empty());
    EXPECT_EQ(r.skipped, 0u);
    EXPECT_EQ(r.untitled, 0u);
    r = pull("none", "none-subject", [](auto& po) { po.include_subject = true; });
    EXPECT_EQ(snapshot(s.root / "none-subject"), subset(s.content(), {"a.txt"}));
}

TEST(ops, pull_refuses_an_archive_with_a_wrong_digest) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::memory_store store;
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"tree", ""}};
    o.tags = {"good"};
    const auto pushed = run(oras::ops::push(store, o));
    auto layer = pushed.layers.at(0);
    layer.annotations[std::string(oras::annotation::content_digest)] =
        oras::digest::of("not the tar").str();
    put_artifact(run, store, {layer}, "bad");

    oras::ops::pull_options po;
    po.output = s.out;
    const auto before = snapshot(s.root, {"out"});
    EXPECT_EQ(error_of([&] { run(oras::ops::pull(store, "bad", po)); }),
              oras::errc::digest_mismatch);
    EXPECT_EQ(snapshot(s.out), tree{});  // nothing under `tree`, no staging directory left
    EXPECT_EQ(snapshot(s.root, {"out"}), before);

    // The good one unpacks.
    run(oras::ops::pull(store, "good", po));
    EXPECT_EQ(snapshot(s.out), subset(s.content(), {"tree"}));
}

TEST(ops, pull_through_an_index) {
    sandbox s;
    s.make_content();
    runner run;
    oras::content::memory_store store;
    oras::ops::push_options one;
    one.working_dir = s.work;
    one.files = {{"a.txt", ""}};
    const auto first = run(oras::ops::push(store, one));
    auto two = one;
    two.files = {{"tree", ""}};
    const auto second = run(oras::ops::push(store, two));
    oras::image_index index;
    index.media_type = std::string(oras::media_type::image_index);
    index.manifests = {first.manifest, second.manifest};
    const auto bytes = index.serialize();
    const auto d = describe(bytes, index.media_type);
    run(store.push_tagged(d, oras::byte_source::from_string(bytes),
                          std::vector<std::string>{"both"}));
    oras::ops::pull_options po;
    po.output = s.out;
    const auto pulled = run(oras::ops::pull(store, "both", po));
    EXPECT_EQ(pulled.files.size(), 2u);
    EXPECT_EQ(snapshot(s.out), subset(s.content(), {"a.txt", "tree"}));
}
