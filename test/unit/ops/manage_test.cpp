// attach, discover and the single-item operations (manifests, blobs, tags) on OCI layouts and
// scripted in-memory targets: no registry, no sockets.
#include <oras/content/blob_cache.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/attach.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/ops/discover.hpp>
#include <oras/ops/location.hpp>
#include <oras/ops/manage.hpp>
#include <oras/ops/platform.hpp>
#include <oras/ops/push.hpp>
#include <oras/test/files.hpp>
#include <oras/test/run.hpp>
#include <oras/test/sources.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::descriptor;
using oras::errc;

struct fixture {
    oras::test::temp_dir tmp{"oras-manage-"};
    fs::path work = tmp.path() / "work";
    fs::path layout_dir = tmp.path() / "layout";
    asio::io_context io;
    std::optional<oras::content::oci_layout> layout;

    fixture() {
        fs::create_directories(work);
        oras::test::write_file(work / "hi.txt", "hello\n");
        oras::test::write_file(work / "sig.txt", "signature\n");
        layout.emplace(layout_dir);
    }

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }

    descriptor push_v1() {
        oras::ops::push_options o;
        o.files = {{"hi.txt", {}}};
        o.working_dir = work;
        o.tags = {"v1"};
        return (*this)(oras::ops::push(*layout, std::move(o))).manifest;
    }

    oras::ops::attach_options attach_options(std::string type,
                                             std::vector<std::string> files = {"sig.txt"}) {
        oras::ops::attach_options o;
        o.artifact_type = std::move(type);
        for (auto& f : files) {
            o.files.push_back({std::move(f), {}});
        }
        o.working_dir = work;
        return o;
    }
};

errc code_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const oras::error& e) {
        return static_cast<errc>(e.code().value());
    }
    ADD_FAILURE() << "no error";
    return errc::unexpected_status;
}

TEST(attach, a_referrer_points_at_its_subject_and_is_listed_in_the_layout) {
    fixture f;
    const auto subject = f.push_v1();
    auto o = f.attach_options("application/vnd.test.sig");
    o.annotations["$manifest"]["org.example.k"] = "v";
    const auto r = f(oras::ops::attach(*f.layout, "v1", std::move(o)));
    EXPECT_EQ(r.subject.digest, subject.digest);
    const auto m = oras::image_manifest::parse(r.manifest_bytes);
    ASSERT_TRUE(m);
    ASSERT_TRUE(m->subject.has_value());
    EXPECT_EQ(m->subject->digest, subject.digest);
    EXPECT_EQ(m->subject->size, subject.size);
    EXPECT_EQ(m->artifact_type, "application/vnd.test.sig");
    EXPECT_EQ(r.manifest.annotations.at("org.example.k"), "v");
    ASSERT_EQ(m->layers.size(), 1u);
    EXPECT_EQ(m->layers[0].annotation(oras::annotation::title), "sig.txt");

    const auto listed = f(f.layout->referrers(subject, {}));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].digest, r.manifest.digest);
}

TEST(attach, refuses_before_writing_anything) {
    fixture f;
    f.push_v1();
    const auto blobs_before = std::distance(fs::directory_iterator(f.layout_dir / "blobs/sha256"),
                                            fs::directory_iterator());
    EXPECT_EQ(code_of([&] { f(oras::ops::attach(*f.layout, "v1", f.attach_options(""))); }),
              errc::invalid_argument);
    EXPECT_EQ(
        code_of([&] { f(oras::ops::attach(*f.layout, "v1", f.attach_options("not a type"))); }),
        errc::invalid_media_type);
    EXPECT_EQ(code_of([&] { f(oras::ops::attach(*f.layout, "v1", f.attach_options("a/b", {}))); }),
              errc::invalid_argument);
    EXPECT_EQ(code_of([&] { f(oras::ops::attach(*f.layout, "nope", f.attach_options("a/b"))); }),
              errc::not_found);
    EXPECT_EQ(std::distance(fs::directory_iterator(f.layout_dir / "blobs/sha256"),
                            fs::directory_iterator()),
              blobs_before);
    // A key that names no file is passed over, as oras does, and reported.
    auto stray = f.attach_options("a/b");
    stray.annotations["not-attached.txt"]["k"] = "v";
    const auto r = f(oras::ops::attach(*f.layout, "v1", stray));
    EXPECT_EQ(r.unused_annotation_keys, std::vector<std::string>{"not-attached.txt"});
}

/// A target whose referrers are scripted: `graph[d]` lists the referrers of digest `d`.
class scripted_referrers final : public oras::content::target,
                                 public oras::content::referrer_lister {
  public:
    std::map<std::string, std::vector<descriptor>> graph;
    descriptor root;
    std::size_t listings = 0;

    asio::awaitable<bool> exists(descriptor) override { co_return false; }
    asio::awaitable<oras::byte_source> open(descriptor) override {
        throw oras::error(errc::unsupported, "scripted");
    }
    asio::awaitable<void> push(descriptor, oras::byte_source) override {
        throw oras::error(errc::unsupported, "scripted");
    }
    asio::awaitable<descriptor> push_unknown(std::string, oras::byte_source) override {
        throw oras::error(errc::unsupported, "scripted");
    }
    asio::awaitable<descriptor> resolve(std::string) override { co_return root; }
    asio::awaitable<void> tag(descriptor, std::string) override {
        throw oras::error(errc::unsupported, "scripted");
    }
    asio::awaitable<void> push_tagged(descriptor, oras::byte_source,
                                      std::vector<std::string>) override {
        throw oras::error(errc::unsupported, "scripted");
    }
    asio::awaitable<std::vector<descriptor>> referrers(descriptor subject,
                                                       std::string artifact_type) override {
        ++listings;
        std::vector<descriptor> out;
        for (const auto& d : graph[subject.digest.str()]) {
            if (artifact_type.empty() || d.artifact_type == artifact_type) {
                out.push_back(d);
            }
        }
        co_return out;
    }
};

descriptor manifest_named(std::string_view name, std::string type = "application/vnd.test") {
    descriptor d;
    d.media_type = std::string(oras::media_type::image_manifest);
    d.digest = oras::digest::of(name);
    d.size = 10;
    d.artifact_type = std::move(type);
    return d;
}

TEST(discover, levels_depth_filters_and_cycles) {
    asio::io_context io;
    scripted_referrers t;
    t.root = manifest_named("root");
    const auto a = manifest_named("a", "x/sig");
    const auto b = manifest_named("b", "x/sbom");
    const auto c = manifest_named("c", "x/sig");
    t.graph[t.root.digest.str()] = {a, b};
    t.graph[a.digest.str()] = {c};
    t.graph[c.digest.str()] = {t.root, a};  // a cycle back up through two ancestors

    auto r = oras::test::run(io, oras::ops::discover(t, "v1", {}));
    EXPECT_EQ(r.subject.digest, t.root.digest);
    ASSERT_EQ(r.referrers.size(), 2u);
    EXPECT_EQ(r.referrers[0].desc.digest, a.digest);
    ASSERT_EQ(r.referrers[0].referrers.size(), 1u);
    const auto& under_c = r.referrers[0].referrers[0].referrers;
    ASSERT_EQ(under_c.size(), 2u);
    EXPECT_TRUE(under_c[0].cycle);
    EXPECT_TRUE(under_c[1].cycle);
    EXPECT_TRUE(under_c[0].referrers.empty());
    EXPECT_TRUE(r.referrers[1].referrers.empty());

    oras::ops::discover_options one;
    one.max_depth = 1;
    r = oras::test::run(io, oras::ops::discover(t, "v1", one));
    ASSERT_EQ(r.referrers.size(), 2u);
    EXPECT_TRUE(r.referrers[0].truncated);
    EXPECT_TRUE(r.referrers[0].referrers.empty());

    oras::ops::discover_options sigs;
    sigs.artifact_type = "x/sig";
    r = oras::test::run(io, oras::ops::discover(t, "v1", sigs));
    ASSERT_EQ(r.referrers.size(), 1u);
    EXPECT_EQ(r.referrers[0].desc.digest, a.digest);

    oras::ops::discover_options capped;
    capped.max_referrers = 2;
    EXPECT_EQ(code_of([&] { oras::test::run(io, oras::ops::discover(t, "v1", capped)); }),
              errc::size_exceeds_limit);
}

// As the ORAS CLI with no depth: every level of a deep graph, none of it cut.
TEST(discover, the_default_depth_lists_every_level_of_a_deep_chain) {
    asio::io_context io;
    scripted_referrers t;
    t.root = manifest_named("root");
    constexpr int levels = 40;
    auto above = t.root;
    for (int i = 0; i < levels; ++i) {
        const auto d = manifest_named("level-" + std::to_string(i));
        t.graph[above.digest.str()] = {d};
        above = d;
    }
    const auto r = oras::test::run(io, oras::ops::discover(t, "v1", {}));
    int depth = 0;
    for (const auto* level = &r.referrers; !level->empty(); level = &(*level)[0].referrers) {
        ASSERT_EQ(level->size(), 1u);
        EXPECT_FALSE((*level)[0].truncated) << "cut at level " << depth + 1;
        ++depth;
    }
    EXPECT_EQ(depth, levels);
}

TEST(discover, a_target_without_referrers_is_refused) {
    asio::io_context io;
    oras::content::memory_store store;
    EXPECT_EQ(code_of([&] { oras::test::run(io, oras::ops::discover(store, "v1", {})); }),
              errc::unsupported);
}

TEST(manage, check_manifest_takes_the_type_from_the_flag_or_the_json) {
    const std::string manifest =
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":)"
        R"("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},)"
        R"("layers":[]})";
    EXPECT_EQ(oras::ops::check_manifest(manifest, "").value(), oras::media_type::image_manifest);
    EXPECT_EQ(oras::ops::check_manifest(manifest, oras::media_type::image_manifest).value(),
              oras::media_type::image_manifest);
    struct bad_case {
        std::string bytes;
        std::string type;
        errc code;
    };
    const std::vector<bad_case> bad = {
        {"not json", "", errc::invalid_manifest},
        {"[1,2]", "", errc::invalid_manifest},
        {R"({"schemaVersion":2})", "", errc::invalid_media_type},
        {R"({"mediaType":7})", "", errc::invalid_manifest},
        {manifest, std::string(oras::media_type::image_index), errc::invalid_media_type},
        {R"({"mediaType":"not a type"})", "", errc::invalid_media_type},
        {R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})", "",
         errc::invalid_manifest},
    };
    for (const auto& c : bad) {
        const auto r = oras::ops::check_manifest(c.bytes, c.type);
        ASSERT_FALSE(r) << c.bytes;
        EXPECT_EQ(r.error().code, oras::make_error_code(c.code)) << c.bytes;
    }
    // Other types pass as JSON objects: the registry judges them.
    EXPECT_TRUE(oras::ops::check_manifest(R"({"a":1})", "application/vnd.example+json"));
}

TEST(manage, digest_tags) {
    EXPECT_TRUE(oras::ops::is_digest_tag(
        "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"));
    EXPECT_FALSE(oras::ops::is_digest_tag(
        "sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a.sig"));
    EXPECT_FALSE(oras::ops::is_digest_tag("v1"));
    EXPECT_FALSE(oras::ops::is_digest_tag("sha256-short"));
}

TEST(manage, fetches_read_through_a_blob_cache) {
    fixture f;
    f.push_v1();
    auto cache = std::make_shared<oras::content::blob_cache>(f.tmp.path() / "cache");
    const auto m = f(oras::ops::fetch_manifest(*f.layout, "v1", {}));
    const auto layer = oras::image_manifest::parse(m.bytes)->layers.at(0);
    const auto config = oras::image_manifest::parse(m.bytes)->config;
    std::string got;
    oras::byte_sink sink = [&got](std::span<const std::byte> b) -> asio::awaitable<void> {
        got.append(reinterpret_cast<const char*>(b.data()), b.size());
        co_return;
    };
    oras::ops::fetch_blob_options cached;
    cached.cache = cache;
    f(oras::ops::fetch_blob(*f.layout, layer, sink, cached));
    EXPECT_EQ(got, "hello\n");
    EXPECT_EQ(cache->stats().stored, 1u);
    // Served by the cache: the layout's copy is not read (it is damaged now).
    oras::test::write_file(f.layout->blob_path(layer.digest), "jello\n");
    got.clear();
    f(oras::ops::fetch_blob(*f.layout, layer, sink, cached));
    EXPECT_EQ(got, "hello\n");
    EXPECT_EQ(cache->stats().hits, 1u);

    // The manifest is read from the target and kept; the config comes from the cache once kept.
    oras::ops::fetch_manifest_options o;
    o.cache = cache;
    EXPECT_EQ(f(oras::ops::fetch_manifest(*f.layout, "v1", o)).bytes, m.bytes);
    EXPECT_EQ(cache->stats().stored, 2u);
    EXPECT_EQ(f(oras::ops::fetch_manifest(*f.layout, "v1", o)).bytes, m.bytes);
    EXPECT_EQ(cache->stats().hits, 1u);  // from the target again, not the cache
    EXPECT_EQ(cache->stats().stored, 2u);
    EXPECT_EQ(f(oras::ops::fetch_config(*f.layout, "v1", o)).bytes, "{}");
    EXPECT_EQ(cache->stats().stored, 3u);
    oras::test::write_file(f.layout->blob_path(config.digest), "[]");
    EXPECT_EQ(f(oras::ops::fetch_config(*f.layout, "v1", o)).bytes, "{}");
    // A damaged entry is dropped and the target read instead (now its damaged copy: refused).
    const auto entry = f.tmp.path() / "cache/blobs/sha256" / config.digest.encoded();
    oras::test::write_file(entry, "[]");
    EXPECT_EQ(code_of([&] { f(oras::ops::fetch_config(*f.layout, "v1", o)); }),
              errc::digest_mismatch);
    EXPECT_EQ(cache->stats().corrupt, 1u);
    EXPECT_FALSE(fs::exists(entry));
}

// A manifest deleted from a layout takes with it what oras-go's layout store (AutoGC) takes:
// its referrers, recursively, and what nothing else reachable from index.json holds, unless
// tagged. What another manifest shares stays.
TEST(manage, a_manifest_deleted_from_a_layout_takes_what_only_it_held) {
    fixture f;
    oras::test::write_file(f.work / "other.txt", "other\n");
    oras::test::write_file(f.work / "sig2.txt", "a signature of the signature\n");
    const auto v1 = f.push_v1();
    oras::ops::push_options o;
    o.files = {{"hi.txt", {}}, {"other.txt", {}}};
    o.working_dir = f.work;
    o.tags = {"v2"};
    const auto v2 = f(oras::ops::push(*f.layout, std::move(o))).manifest;
    const auto sig = f(oras::ops::attach(*f.layout, "v1", f.attach_options("application/vnd.sig")));
    const auto sigsig = f(oras::ops::attach(*f.layout, sig.manifest.digest.str(),
                                            f.attach_options("application/vnd.sig", {"sig2.txt"})));
    oras::image_index idx;
    idx.media_type = std::string(oras::media_type::image_index);
    idx.manifests = {v1, v2};
    const auto multi =
        f(oras::ops::push_manifest(*f.layout, idx.serialize(),
                                   std::string(oras::media_type::image_index), {"multi"}))
            .desc;
    const auto layers = [&](const descriptor& d) {
        const auto bytes = f(oras::content::fetch_all(*f.layout, d));
        return oras::image_manifest::parse(bytes)->layers;
    };
    const auto hi = layers(v1).at(0).digest;
    const auto other = layers(v2).at(1).digest;
    const auto sig_blob = layers(sig.manifest).at(0).digest;
    const auto sig2_blob = layers(sigsig.manifest).at(0).digest;
    const auto stored = [&](const oras::digest& d) { return fs::exists(f.layout->blob_path(d)); };

    // The index: v1 and v2 are tagged, so they stay.
    f(oras::ops::delete_manifest(*f.layout, "multi"));
    EXPECT_FALSE(stored(multi.digest));
    EXPECT_TRUE(stored(v1.digest));
    EXPECT_TRUE(stored(v2.digest));

    // v1: its referrers (and theirs) and its blobs go, but not hi.txt, which v2 holds too.
    f(oras::ops::delete_manifest(*f.layout, "v1"));
    for (const auto& gone :
         {v1.digest, sig.manifest.digest, sigsig.manifest.digest, sig_blob, sig2_blob}) {
        EXPECT_FALSE(stored(gone)) << gone.str();
    }
    EXPECT_TRUE(stored(hi));
    EXPECT_TRUE(stored(other));
    EXPECT_TRUE(stored(v2.digest));
    EXPECT_EQ(f(oras::ops::list_tags(*f.layout, {})), std::vector<std::string>{"v2"});
    const auto index = oras::image_index::parse(oras::test::read_file(f.layout_dir / "index.json"));
    ASSERT_TRUE(index);
    ASSERT_EQ(index->manifests.size(), 1u);  // the referrers' untagged entries went too
    EXPECT_EQ(index->manifests[0].digest, v2.digest);

    // Without auto_gc, only the manifest asked for.
    oras::content::oci_layout plain(f.layout_dir, {.auto_gc = false});
    f(oras::ops::delete_manifest(plain, "v2"));
    EXPECT_FALSE(stored(v2.digest));
    EXPECT_TRUE(stored(hi));
    EXPECT_TRUE(stored(other));
}

// A referrer holds its subject, as in oras-go's graph: an index's child that a tagged signature
// refers to stays when the index goes, and so does the signature.
TEST(manage, a_layout_delete_keeps_what_a_tagged_referrer_holds) {
    fixture f;
    oras::ops::push_options o;
    o.files = {{"hi.txt", {}}};
    o.working_dir = f.work;
    const auto child = f(oras::ops::push(*f.layout, std::move(o))).manifest;  // untagged
    oras::image_index idx;
    idx.media_type = std::string(oras::media_type::image_index);
    idx.manifests = {child};
    f(oras::ops::push_manifest(*f.layout, idx.serialize(),
                               std::string(oras::media_type::image_index), {"v1"}));
    auto ao = f.attach_options("application/vnd.sig");
    const auto sig = f(oras::ops::attach(*f.layout, child.digest.str(), std::move(ao)));
    f(f.layout->tag(sig.manifest, "sig"));
    const auto stored = [&](const oras::digest& d) { return fs::exists(f.layout->blob_path(d)); };

    f(oras::ops::delete_manifest(*f.layout, "v1"));
    EXPECT_TRUE(stored(child.digest));
    EXPECT_TRUE(stored(sig.manifest.digest));
    EXPECT_EQ(f(f.layout->resolve("sig")).digest, sig.manifest.digest);
    // Deleting the tagged signature then leaves its subject with nothing holding it: it goes
    // too, as oras-go's collects it.
    f(oras::ops::delete_manifest(*f.layout, "sig"));
    EXPECT_FALSE(stored(sig.manifest.digest));
    EXPECT_FALSE(stored(child.digest));
}

// A tag moved to another manifest leaves the one it named listed: still reachable, its blobs
// are not taken by a delete of a manifest that shares them.
TEST(manage, a_manifest_a_tag_moved_off_stays_listed_and_keeps_its_blobs) {
    fixture f;
    const auto first = f.push_v1();  // v1: hi.txt
    oras::ops::push_options o;
    o.files = {{"sig.txt", {}}};
    o.working_dir = f.work;
    o.tags = {"v1"};
    f(oras::ops::push(*f.layout, std::move(o)));  // v1 moves to another manifest
    o = {};
    o.files = {{"hi.txt", {}}};
    o.working_dir = f.work;
    o.tags = {"v2"};
    o.annotations["$manifest"]["org.example"] = "second";
    const auto second = f(oras::ops::push(*f.layout, std::move(o))).manifest;  // shares hi.txt
    f(oras::ops::delete_manifest(*f.layout, "v2"));
    EXPECT_FALSE(fs::exists(f.layout->blob_path(second.digest)));
    // The first manifest is whole: listed, and its layer still there.
    const auto bytes = f(oras::content::fetch_all(*f.layout, first));
    const auto layer = oras::image_manifest::parse(bytes)->layers.at(0);
    EXPECT_TRUE(fs::exists(f.layout->blob_path(layer.digest)));
    EXPECT_EQ(f(f.layout->resolve(first.digest.str())).digest, first.digest);

    // A manifest neither listed nor stored: not_found, and nothing else goes.
    oras::descriptor absent = first;
    absent.digest = oras::digest::of("absent");
    const auto before = oras::test::read_file(f.layout_dir / "index.json");
    EXPECT_EQ(code_of([&] { f(f.layout->remove(absent)); }), errc::not_found);
    EXPECT_EQ(oras::test::read_file(f.layout_dir / "index.json"), before);
}

// As oras-go's layout: every manifest stored is listed in index.json, untagged until a tag names
// it; a tag replaces the untagged entry rather than adding one. A manifest's own ref.name
// annotation is no tag.
TEST(manage, every_manifest_pushed_to_a_layout_is_listed) {
    fixture f;
    oras::ops::push_options o;
    o.files = {{"hi.txt", {}}};
    o.working_dir = f.work;
    const auto untagged = f(oras::ops::push(*f.layout, std::move(o))).manifest;
    const auto entries = [&] {
        return oras::image_index::parse(oras::test::read_file(f.layout_dir / "index.json"))
            .value()
            .manifests;
    };
    auto listed = entries();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].digest, untagged.digest);
    EXPECT_TRUE(listed[0].annotation("org.opencontainers.image.ref.name").empty());

    f(f.layout->tag(untagged, "v1"));
    listed = entries();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].annotation("org.opencontainers.image.ref.name"), "v1");
    const auto tagged = f.push_v1();  // the same manifest, pushed with its tag
    EXPECT_EQ(tagged.digest, untagged.digest);
    EXPECT_EQ(entries().size(), 1u);

    auto ao = f.attach_options("application/vnd.sig");
    ao.annotations["$manifest"]["org.opencontainers.image.ref.name"] = "v1";
    const auto sig = f(oras::ops::attach(*f.layout, "v1", std::move(ao)));
    EXPECT_EQ(f(f.layout->resolve("v1")).digest, untagged.digest);
    EXPECT_EQ(f(oras::ops::list_tags(*f.layout, {})), std::vector<std::string>{"v1"});
    listed = entries();
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[1].digest, sig.manifest.digest);
    EXPECT_TRUE(listed[1].annotation("org.opencontainers.image.ref.name").empty());
}

TEST(manage, tags_manifests_and_blobs_of_a_layout) {
    fixture f;
    const auto v1 = f.push_v1();
    EXPECT_EQ(f(oras::ops::tag(*f.layout, "v1", {"v2", "latest"})).digest, v1.digest);
    EXPECT_EQ(f(oras::ops::list_tags(*f.layout, {})),
              (std::vector<std::string>{"latest", "v1", "v2"}));  // sorted, as a registry lists
    EXPECT_EQ(f(oras::ops::list_tags(*f.layout, {.last = "v1"})), (std::vector<std::string>{"v2"}));
    EXPECT_EQ(code_of([&] { f(oras::ops::tag(*f.layout, "v1", {"bad tag"})); }),
              errc::invalid_reference);

    const auto m = f(oras::ops::fetch_manifest(*f.layout, "v2", {}));
    EXPECT_EQ(m.desc.digest, v1.digest);
    EXPECT_EQ(oras::digest::of(m.bytes), v1.digest);
    const auto config = f(oras::ops::fetch_config(*f.layout, "v1", {}));
    EXPECT_EQ(config.bytes, "{}");
    oras::ops::fetch_manifest_options only_index;
    only_index.media_types = {std::string(oras::media_type::image_index)};
    EXPECT_EQ(code_of([&] { f(oras::ops::fetch_manifest(*f.layout, "v1", only_index)); }),
              errc::invalid_media_type);

    // The same bytes under a new tag are pushed there (as oras: the tag did not name them);
    // under a tag that names them already, they exist, and the other tags are still set.
    auto pushed = f(oras::ops::push_manifest(*f.layout, m.bytes, "", {"again"}));
    EXPECT_FALSE(pushed.existed);
    EXPECT_EQ(f(f.layout->resolve("again")).digest, v1.digest);
    pushed = f(oras::ops::push_manifest(*f.layout, m.bytes, "", {"again", "more"}));
    EXPECT_TRUE(pushed.existed);
    EXPECT_EQ(f(f.layout->resolve("more")).digest, v1.digest);
    EXPECT_TRUE(f(oras::ops::push_manifest(*f.layout, m.bytes, "", {})).existed);

    // Blobs: looked up by digest, fetched verified; a damaged blob file fails before its end.
    const auto layer = oras::image_manifest::parse(m.bytes)->layers.at(0);
    const auto stat = f(oras::ops::stat_blob(*f.layout, layer.digest));
    EXPECT_EQ(stat.size, layer.size);
    std::string got;
    oras::byte_sink sink = [&got](std::span<const std::byte> b) -> asio::awaitable<void> {
        got.append(reinterpret_cast<const char*>(b.data()), b.size());
        co_return;
    };
    f(oras::ops::fetch_blob(*f.layout, stat, sink));
    EXPECT_EQ(got, "hello\n");
    oras::test::write_file(f.layout->blob_path(layer.digest), "jello\n");
    got.clear();
    EXPECT_EQ(code_of([&] { f(oras::ops::fetch_blob(*f.layout, stat, sink)); }),
              errc::digest_mismatch);
    EXPECT_EQ(got, "");
    EXPECT_EQ(code_of([&] { f(oras::ops::stat_blob(*f.layout, oras::digest::of("absent"))); }),
              errc::not_found);

    // Deletes: a blob; then the manifest, every tag on it and what only it held (its config);
    // then nothing is there.
    EXPECT_EQ(f(oras::ops::delete_blob(*f.layout, layer.digest)).digest, layer.digest);
    EXPECT_EQ(code_of([&] { f(oras::ops::delete_blob(*f.layout, layer.digest)); }),
              errc::not_found);
    const auto config_digest = oras::image_manifest::parse(m.bytes)->config.digest;
    EXPECT_EQ(f(oras::ops::delete_manifest(*f.layout, "v2")).digest, v1.digest);
    EXPECT_EQ(f(oras::ops::list_tags(*f.layout, {})), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(f.layout->blob_path(v1.digest)));
    EXPECT_FALSE(fs::exists(f.layout->blob_path(config_digest)));
    EXPECT_EQ(code_of([&] { f(oras::ops::delete_manifest(*f.layout, "v1")); }), errc::not_found);
    oras::content::memory_store store;
    EXPECT_EQ(code_of([&] { f(oras::ops::delete_blob(store, layer.digest)); }), errc::unsupported);
}

// What a bar needs: the blob once hashed, the upload's bytes (not the hashing's), then how it
// ended.
TEST(manage, push_blob_reports_the_upload) {
    fixture f;
    using kind = oras::ops::progress_event::kind;
    std::vector<kind> kinds;
    std::uint64_t last = 0;
    std::int64_t size_at_start = -1;
    oras::ops::push_blob_options o;
    o.name = "application/vnd.test";
    o.progress = [&](const oras::ops::progress_event& e) {
        EXPECT_EQ(e.name, "application/vnd.test");
        if (kinds.empty() || kinds.back() != e.what) {
            kinds.push_back(e.what);
        }
        if (e.what == kind::started) {
            size_at_start = e.desc.size;
        }
        if (e.what == kind::bytes) {
            EXPECT_GE(e.done, last);
            last = e.done;
        }
    };
    const std::string data(3 << 20, 'b');
    oras::test::write_file(f.work / "big.bin", data);
    const auto pushed = f(oras::ops::push_blob(
        *f.layout, oras::byte_source::from_file(f.work / "big.bin", 0, data.size()),
        "application/vnd.test", std::nullopt, std::nullopt, o));
    EXPECT_FALSE(pushed.existed);
    EXPECT_EQ(kinds, (std::vector<kind>{kind::started, kind::bytes, kind::finished}));
    EXPECT_EQ(size_at_start, static_cast<std::int64_t>(data.size()));
    EXPECT_EQ(last, data.size());  // counted once: the hashing pass is not the upload

    kinds.clear();
    EXPECT_TRUE(f(oras::ops::push_blob(
                      *f.layout, oras::byte_source::from_file(f.work / "big.bin", 0, data.size()),
                      "application/vnd.test", std::nullopt, std::nullopt, o))
                    .existed);
    EXPECT_EQ(kinds, (std::vector<kind>{kind::started, kind::exists}));
}

TEST(manage, push_blob_hashes_a_file_and_checks_what_it_was_told) {
    fixture f;
    const auto path = f.work / "hi.txt";
    auto reader = oras::byte_source::from_file(path, 0, 6);
    const auto r = f(oras::ops::push_blob(*f.layout, reader, "application/octet-stream"));
    EXPECT_FALSE(r.existed);
    EXPECT_EQ(r.desc.digest, oras::digest::of("hello\n"));
    EXPECT_TRUE(f(oras::ops::push_blob(*f.layout, oras::byte_source::from_file(path, 0, 6),
                                       "application/octet-stream"))
                    .existed);
    EXPECT_EQ(code_of([&] {
                  f(oras::ops::push_blob(*f.layout, oras::byte_source::from_file(path, 0, 6),
                                         "application/octet-stream", oras::digest::of("other")));
              }),
              errc::digest_mismatch);
    EXPECT_EQ(code_of([&] {
                  f(oras::ops::push_blob(*f.layout, oras::byte_source::from_file(path, 0, 6),
                                         "application/octet-stream", std::nullopt, 5));
              }),
              errc::size_mismatch);
    // A stream with the wrong digest announced: refused as the bytes go, nothing stored.
    auto stream = oras::test::once(oras::byte_source::from_string("streamed\n"));
    const auto wrong = oras::digest::of("something else");
    EXPECT_EQ(code_of([&] {
                  f(oras::ops::push_blob(*f.layout, stream, "application/octet-stream", wrong, 9));
              }),
              errc::digest_mismatch);
    EXPECT_FALSE(fs::exists(f.layout->blob_path(wrong)));
    auto unsized = oras::test::once(oras::byte_source::from_string("x"));
    EXPECT_EQ(
        code_of([&] { f(oras::ops::push_blob(*f.layout, unsized, "application/octet-stream")); }),
        errc::invalid_argument);
}

}  // namespace

namespace {

TEST(manage, the_blocking_facade_and_completion_tokens_on_a_layout) {
    oras::test::temp_dir tmp{"oras-facade-"};
    const auto work = tmp.path() / "work";
    fs::create_directories(work);
    oras::test::write_file(work / "hi.txt", "hello\n");
    const auto dir = (tmp.path() / "layout").string();
    const oras::ops::location v1{dir + ":v1", true, {}};

    oras::ops::push_options p;
    p.files = {{"hi.txt", {}}};
    p.working_dir = work;
    oras::blocking::push_layout(dir, [&] {
        auto o = p;
        o.tags = {"v1"};
        return o;
    }());
    const auto subject = oras::blocking::resolve(v1);
    oras::ops::attach_options a;
    a.artifact_type = "application/vnd.test.sig";
    a.annotations["$manifest"]["k"] = "v";
    const auto attached = oras::blocking::attach(v1, a);
    EXPECT_EQ(attached.subject.digest, subject.digest);
    const auto found = oras::blocking::discover(v1);
    ASSERT_EQ(found.referrers.size(), 1u);
    EXPECT_EQ(found.referrers[0].desc.digest, attached.manifest.digest);

    EXPECT_EQ(oras::blocking::tag(v1, {"v2"}).digest, subject.digest);
    EXPECT_EQ(oras::blocking::tags({dir, true, {}}), (std::vector<std::string>{"v1", "v2"}));
    const auto m = oras::blocking::fetch_manifest({dir + ":v2", true, {}});
    EXPECT_EQ(m.desc.digest, subject.digest);
    EXPECT_FALSE(oras::blocking::push_manifest({dir + ":v3", true, {}}, m.bytes).existed);
    EXPECT_TRUE(oras::blocking::push_manifest({dir + ":v3", true, {}}, m.bytes).existed);

    const auto layer = oras::image_manifest::parse(m.bytes)->layers.at(0);
    const auto out = tmp.path() / "out.bin";
    oras::blocking::fetch_blob({dir + "@" + layer.digest.str(), true, {}}, out);
    EXPECT_EQ(oras::test::read_file(out), "hello\n");
    oras::test::write_file(work / "other.bin", "other bytes");
    const auto pushed = oras::blocking::push_blob({dir, true, {}}, work / "other.bin");
    EXPECT_FALSE(pushed.existed);
    EXPECT_EQ(pushed.desc.digest, oras::digest::of("other bytes"));
    EXPECT_EQ(oras::blocking::delete_blob({dir + "@" + pushed.desc.digest.str(), true, {}}).digest,
              pushed.desc.digest);
    EXPECT_EQ(oras::blocking::delete_manifest({dir + ":v3", true, {}}).digest, subject.digest);
    EXPECT_EQ(code_of([&] { oras::blocking::resolve(v1); }), errc::not_found);
    EXPECT_EQ(code_of([&] {
                  oras::blocking::tag({dir, true, {}}, {"x"});
              }),
              errc::invalid_reference);

    // A completion token other than deferred: the operation runs on the executor.
    asio::io_context io;
    oras::content::oci_layout layout(dir);
    auto future = oras::ops::async_list_tags(io.get_executor(), layout, {}, asio::use_future);
    io.run();
    EXPECT_EQ(future.get(), std::vector<std::string>{});
}

}  // namespace

// GCC 12 destroys a default argument's temporary twice when the call sits in a `co_await`
// (free(): invalid pointer). The library's defaults are overloads, so these calls, written as a
// user would, build no options temporary in the awaiting coroutine.
TEST(manage, defaults_are_safe_inside_co_await) {
    fixture f;
    const auto v1 = f.push_v1();
    auto& layout = *f.layout;
    const auto ex = f.io.get_executor();
    const auto all = [&]() -> asio::awaitable<std::size_t> {
        std::size_t seen = 0;
        seen += (co_await oras::ops::list_tags(layout)).size();
        seen += (co_await oras::ops::async_list_tags(ex, layout)).size();
        seen += (co_await oras::ops::fetch_manifest(layout, "v1")).bytes.empty() ? 0 : 1;
        seen += (co_await oras::ops::fetch_config(layout, "v1")).bytes.empty() ? 0 : 1;
        seen += (co_await oras::ops::async_fetch_manifest(ex, layout, "v1")).bytes.empty() ? 0 : 1;
        std::vector<std::string> more{"v2"};  // a braced list inside co_await: GCC 12 refuses
        seen +=
            (co_await oras::ops::tag(layout, "v1", std::move(more))).digest == v1.digest ? 1 : 0;
        // A digest where the short form would take a token: the full form takes it.
        const auto blob = oras::digest::of("blob!");
        auto src = oras::byte_source::from_string("blob!");
        const auto pushed = co_await oras::ops::async_push_blob(ex, layout, std::move(src),
                                                                "application/octet-stream", blob);
        seen += pushed.desc.digest == blob ? 1 : 0;
        oras::content::oci_layout copy_dst(f.tmp.path() / "copy");
        seen += (co_await oras::ops::copy(layout, "v1", copy_dst)).nodes;
        co_return seen;
    };
    EXPECT_EQ(f(all()), 1u + 1u + 1 + 1 + 1 + 1 + 1 + 3);
    // The token forms take a token where the defaults were.
    auto tags = oras::ops::async_list_tags(ex, layout, asio::use_future);
    auto manifest = oras::ops::async_fetch_manifest(ex, layout, "v1", asio::use_future);
    // Every operation has one: a manifest whose config names no platform matches none.
    auto platform = oras::ops::async_select_platform(
        ex, layout, v1, *oras::ops::parse_platform("linux/amd64"), 4096, asio::use_future);
    oras::ops::location from{(f.tmp.path() / "layout").string() + ":v1", true, {}};
    oras::ops::location to{(f.tmp.path() / "copied").string() + ":v1", true, {}};
    auto copied = oras::ops::async_copy_locations(ex, from, to, {}, asio::use_future);
    f.io.restart();
    f.io.run();
    EXPECT_EQ(tags.get(), (std::vector<std::string>{"v1", "v2"}));
    EXPECT_EQ(manifest.get().desc.digest, v1.digest);
    EXPECT_EQ(code_of([&] { platform.get(); }), errc::not_found);
    EXPECT_EQ(copied.get().root.digest, v1.digest);
}
