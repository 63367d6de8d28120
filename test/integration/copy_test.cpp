// Graph copy (`ops::copy`, `oras-cpp cp`) against real registries: within one registry (blobs
// mounted, counted), across two registries with different auth, registry <-> OCI layout,
// layout -> layout, by digest, several tags, a multi-platform index whole and by platform,
// referrers of referrers, reruns that move nothing, corrupted and truncated sources that leave
// no manifest behind, clear failures, and skopeo reading what was copied.
#include <oras/auth/client.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/content/target.hpp>
#include <oras/descriptor.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/http/client.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/blocking.hpp>
#include <oras/ops/copy.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/files.hpp>
#include <oras/test/process.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/secrets.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
namespace json = boost::json;
using oras::descriptor;
using oras::test::auth_mode;
using oras::test::error_of;
using oras::test::pattern;
using oras::test::read_file;
using oras::test::registry_process;
using oras::test::write_file;
using kind = oras::ops::progress_event::kind;

// ---------------------------------------------------------------------------------------------
// Graph building

struct node {
    descriptor desc;
    std::string bytes;
};

node blob(std::string data, std::string media_type) {
    auto desc = oras::test::describe(data, std::move(media_type));
    return node{std::move(desc), std::move(data)};
}

/// An artifact: its config and layers first, the manifest last (bottom-up order).
struct artifact {
    std::vector<node> nodes;
    const node& manifest() const { return nodes.back(); }
};

artifact make_artifact(const std::string& seed, std::size_t layer_size,
                       std::optional<descriptor> subject = std::nullopt,
                       std::string artifact_type = "application/vnd.test.copy",
                       std::optional<oras::platform> platform = std::nullopt) {
    artifact a;
    std::string config = R"({"seed":")" + seed + "\"";
    if (platform) {
        config +=
            R"(,"os":")" + platform->os + R"(","architecture":")" + platform->architecture + "\"";
    }
    config += "}";
    a.nodes.push_back(blob(config, "application/vnd.test.config+json"));
    a.nodes.push_back(blob(seed + " small layer", std::string(oras::media_type::image_layer)));
    a.nodes.push_back(
        blob(pattern(layer_size, static_cast<unsigned>(std::hash<std::string>{}(seed))),
             "application/vnd.test.opaque"));
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.artifact_type = std::move(artifact_type);
    m.config = a.nodes[0].desc;
    m.layers = {a.nodes[1].desc, a.nodes[2].desc};
    m.subject = std::move(subject);
    a.nodes.push_back(blob(m.serialize(), m.media_type));
    return a;
}

/// An index of `children` (each with its platform), every node bottom-up, the index last.
artifact make_index(const std::vector<std::pair<artifact, oras::platform>>& children) {
    artifact out;
    oras::image_index idx;
    idx.media_type = std::string(oras::media_type::image_index);
    for (const auto& [a, p] : children) {
        out.nodes.insert(out.nodes.end(), a.nodes.begin(), a.nodes.end());
        auto d = a.manifest().desc;
        d.platform = p;
        idx.manifests.push_back(d);
    }
    out.nodes.push_back(blob(idx.serialize(), idx.media_type));
    return out;
}

/// Runs coroutines; every target of a test lives on this one io_context.
struct runner {
    template <class T>
    T operator()(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }
    asio::io_context io;
};

/// Stores `a` in `t` through the plain target API (not through copy), the root tagged `tag`.
void put(runner& run, oras::content::target& t, const artifact& a, const std::string& tag = {}) {
    for (std::size_t i = 0; i + 1 < a.nodes.size(); ++i) {
        const auto& n = a.nodes[i];
        run(t.push(n.desc, oras::byte_source::from_string(n.bytes)));
    }
    const auto& root = a.manifest();
    std::vector<std::string> tags;
    if (!tag.empty()) {
        tags.push_back(tag);
    }
    run(t.push_tagged(root.desc, oras::byte_source::from_string(root.bytes), tags));
}

/// Requests a registry saw, by method and kind of path.
struct request_log {
    std::map<std::string, std::size_t> counts;  // "PUT upload", "HEAD blob", "GET manifest"...
    std::size_t total = 0;

    std::size_t operator[](const std::string& k) const {
        const auto it = counts.find(k);
        return it == counts.end() ? 0 : it->second;
    }
};

/// Upload sessions by path: opened (POST 202), and completed (PUT 201) or cancelled (DELETE).
struct session_log {
    std::set<std::string> opened;
    std::set<std::string> closed;
};

std::string path_of(std::string_view url) {
    const auto scheme = url.find("://");
    const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
    const auto query = url.find('?');
    return std::string(url.substr(slash, query == std::string_view::npos ? query : query - slash));
}

/// A repository of a test registry as a target, its requests counted.
struct remote {
    remote(runner& run, const registry_process& reg, const std::string& name,
           std::optional<oras::auth::credential> cred = std::nullopt)
        : log(std::make_shared<request_log>()), sessions(std::make_shared<session_log>()) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.tls.ca_file = reg.ca_file();
        o.log = [log = log, sessions = sessions](const oras::http::log_event& e) {
            if (e.method == "POST" && e.status == 202) {
                if (const auto loc = e.response_headers.find("Location")) {
                    sessions->opened.insert(path_of(*loc));
                }
            } else if ((e.method == "PUT" && e.status == 201) || e.method == "DELETE") {
                sessions->closed.insert(path_of(e.url));
            }
            std::string what = e.method;
            if (e.url.find("/blobs/uploads/") != std::string::npos) {
                what += " upload";
            } else if (e.url.find("/blobs/") != std::string::npos) {
                what += " blob";
            } else if (e.url.find("/manifests/") != std::string::npos) {
                what += " manifest";
            } else {
                what += " other";
            }
            ++log->counts[what];
            ++log->total;
        };
        oras::auth::client_options a;
        if (cred) {
            a.credentials = std::make_shared<oras::auth::static_credentials>(reg.host(), *cred);
        }
        auth.emplace(oras::http::client(run.io.get_executor(), o), a);
        target.emplace(oras::registry::repository(
            *auth, reg.host(), name, oras::registry::repository_options{.force_https = reg.tls()}));
    }

    /// Bytes of blob bodies uploaded (PUT/PATCH to upload sessions).
    std::size_t uploads() const { return (*log)["PUT upload"] + (*log)["PATCH upload"]; }

    std::shared_ptr<request_log> log;
    std::shared_ptr<session_log> sessions;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository_target> target;
};

/// Checks that every node of `a` is in `t` with the same bytes, and `tag` names the root.
void expect_graph(runner& run, oras::content::target& t, const artifact& a,
                  const std::string& tag = {}) {
    for (const auto& n : a.nodes) {
        ASSERT_TRUE(run(t.exists(n.desc))) << n.desc.digest.str();
        EXPECT_EQ(run(oras::content::fetch_all(t, n.desc, 64 << 20)), n.bytes)
            << n.desc.digest.str();
    }
    if (!tag.empty()) {
        EXPECT_EQ(run(t.resolve(tag)).digest, a.manifest().desc.digest);
    }
}

oras::auth::credential alice() {
    return {"alice", "alice-secret", "", ""};
}

// ---------------------------------------------------------------------------------------------
// Library

TEST(copy, within_one_registry_mounts_every_blob_and_tags_the_root) {
    registry_process reg;
    runner run;
    remote src(run, reg, "team/src");
    remote dst(run, reg, "team/dst");
    const auto a = make_artifact("mount", 300'000);
    put(run, *src.target, a, "v1");

    std::vector<oras::ops::progress_event> events;
    oras::ops::copy_options o;
    o.progress = [&](const oras::ops::progress_event& e) { events.push_back(e); };
    const auto r = run(oras::ops::copy(*src.target, "v1", *dst.target, o));

    EXPECT_EQ(r.root.digest, a.manifest().desc.digest);
    EXPECT_EQ(r.tags, std::vector<std::string>{"v1"});
    EXPECT_EQ(r.nodes, 4u);
    EXPECT_EQ(r.mounted, 3u);
    EXPECT_EQ(r.copied, 1u);  // the manifest
    EXPECT_EQ(dst.uploads(), 0u) << "blob bytes were uploaded instead of mounted";
    EXPECT_EQ((*src.log)["GET blob"], 0u) << "blob bytes were downloaded";
    EXPECT_EQ(std::count_if(events.begin(), events.end(),
                            [](const auto& e) { return e.what == kind::mounted; }),
              3);
    expect_graph(run, *dst.target, a, "v1");
}

TEST(copy, across_registries_from_token_auth_to_basic_auth_over_tls) {
    registry_process from({.auth = auth_mode::token});
    registry_process to({.auth = auth_mode::basic, .tls = true});
    runner run;
    remote src(run, from, "app/src", alice());
    remote dst(run, to, "mirror/app", alice());
    const auto a = make_artifact("across", 2 * 1024 * 1024 + 17);
    put(run, *src.target, a, "v1");

    oras::ops::copy_options o;
    o.tags = {"v1", "latest"};
    const auto r = run(oras::ops::copy(*src.target, "v1", *dst.target, o));
    EXPECT_EQ(r.copied, 4u);
    EXPECT_EQ(r.mounted, 0u);
    EXPECT_EQ(r.bytes_copied,
              static_cast<std::uint64_t>(a.nodes[0].desc.size + a.nodes[1].desc.size
                                         + a.nodes[2].desc.size + a.manifest().desc.size));
    // Each blob is read from the source once, and uploaded once.
    EXPECT_EQ((*src.log)["GET blob"], 3u);
    EXPECT_EQ((*dst.log)["PUT upload"], 3u);
    expect_graph(run, *dst.target, a, "v1");
    EXPECT_EQ(run(dst.target->resolve("latest")).digest, a.manifest().desc.digest);
}

TEST(copy, a_second_copy_moves_nothing) {
    registry_process from;
    registry_process to;
    runner run;
    remote src(run, from, "app");
    remote dst(run, to, "app");
    const auto a = make_artifact("again", 100'000);
    put(run, *src.target, a, "v1");
    run(oras::ops::copy(*src.target, "v1", *dst.target, {}));

    remote src2(run, from, "app");
    remote dst2(run, to, "app");
    const auto r = run(oras::ops::copy(*src2.target, "v1", *dst2.target, {}));
    EXPECT_EQ(r.copied, 0u);
    EXPECT_EQ(r.skipped, 1u);  // the root: its graph is taken as there
    EXPECT_EQ(dst2.uploads(), 0u);
    EXPECT_EQ((*dst2.log)["PUT manifest"], 0u);
    EXPECT_EQ((*src2.log)["GET blob"], 0u);
    // Resolve at the source, existence of the root and of the tag at the destination.
    EXPECT_LE(src2.log->total + dst2.log->total, 4u);
}

TEST(copy, by_digest_with_several_destination_tags) {
    registry_process reg;
    runner run;
    remote src(run, reg, "src");
    remote dst(run, reg, "dst");
    const auto a = make_artifact("digest", 5000);
    put(run, *src.target, a);
    oras::ops::copy_options o;
    o.tags = {"a", "b", "c"};
    const auto r =
        run(oras::ops::copy(*src.target, a.manifest().desc.digest.str(), *dst.target, o));
    EXPECT_EQ(r.root.digest, a.manifest().desc.digest);
    for (const auto* t : {"a", "b", "c"}) {
        EXPECT_EQ(run(dst.target->resolve(t)).digest, a.manifest().desc.digest) << t;
    }

    // By digest with no tags: stored by digest only.
    remote bare(run, reg, "bare");
    run(oras::ops::copy(*src.target, a.manifest().desc.digest.str(), *bare.target, {}));
    expect_graph(run, *bare.target, a);
    // Distribution answers NAME_UNKNOWN for the tags of a repository that has none.
    EXPECT_EQ(error_of([&] { run(bare.target->tags()); }), oras::errc::not_found);
}

TEST(copy, registry_to_layout_to_layout_to_registry) {
    registry_process reg;
    oras::test::temp_dir tmp("oras-copy-");
    runner run;
    remote src(run, reg, "src");
    const auto a = make_artifact("layouts", 1024 * 1024 + 3);
    put(run, *src.target, a, "v1");

    oras::content::oci_layout one(tmp.path() / "one");
    run(oras::ops::copy(*src.target, "v1", one, {}));
    expect_graph(run, one, a, "v1");

    oras::content::oci_layout two(tmp.path() / "two");
    oras::ops::copy_options o;
    o.tags = {"copied"};
    const auto r = run(oras::ops::copy(one, "v1", two, o));
    EXPECT_EQ(r.copied, 4u);
    expect_graph(run, two, a, "copied");

    remote back(run, reg, "back");
    run(oras::ops::copy(two, "copied", *back.target, {}));
    expect_graph(run, *back.target, a, "copied");
}

TEST(copy, an_index_whole_and_one_platform) {
    registry_process reg;
    runner run;
    remote src(run, reg, "multi");
    const oras::platform amd64{"amd64", "linux", "", {}, ""};
    const oras::platform arm64{"arm64", "linux", "", {}, "v8"};
    const auto x = make_artifact("amd64", 40'000, std::nullopt, "application/vnd.test.copy", amd64);
    const auto y = make_artifact("arm64", 50'000, std::nullopt, "application/vnd.test.copy", arm64);
    const auto index = make_index({{x, amd64}, {y, arm64}});
    put(run, *src.target, index, "v1");

    remote whole(run, reg, "whole");
    const auto r = run(oras::ops::copy(*src.target, "v1", *whole.target, {}));
    EXPECT_EQ(r.nodes, 9u);
    expect_graph(run, *whole.target, index, "v1");

    remote one(run, reg, "one");
    oras::ops::copy_options o;
    o.platform = oras::ops::parse_platform("linux/arm64").value();
    const auto p = run(oras::ops::copy(*src.target, "v1", *one.target, o));
    EXPECT_EQ(p.root.digest, y.manifest().desc.digest);
    expect_graph(run, *one.target, y, "v1");
    EXPECT_FALSE(run(one.target->exists(x.manifest().desc)));
    EXPECT_FALSE(run(one.target->exists(index.manifest().desc)));

    o.platform = oras::ops::parse_platform("linux/s390x").value();
    EXPECT_EQ(error_of([&] { run(oras::ops::copy(*src.target, "v1", *one.target, o)); }),
              oras::errc::not_found);
    EXPECT_FALSE(oras::ops::parse_platform("linux/").has_value());
    EXPECT_FALSE(oras::ops::parse_platform("linux//v8").has_value());
}

TEST(copy, traverse_existing_fills_in_what_a_partly_populated_destination_lacks) {
    registry_process reg;
    runner run;
    remote src(run, reg, "full");
    const oras::platform amd64{"amd64", "linux", "", {}, ""};
    const oras::platform arm64{"arm64", "linux", "", {}, "v8"};
    const auto x =
        make_artifact("fill-x", 30'000, std::nullopt, "application/vnd.test.copy", amd64);
    const auto y =
        make_artifact("fill-y", 20'000, std::nullopt, "application/vnd.test.copy", arm64);
    const auto index = make_index({{x, amd64}, {y, arm64}});
    put(run, *src.target, index, "v1");
    remote dst(run, reg, "partial");
    run(oras::ops::copy(*src.target, "v1", *dst.target, {}));
    // A blob of one platform gone (as from a cache that fetched the other platform only).
    const auto& lost = y.nodes[2].desc;
    run(dst.target->remove(lost));
    ASSERT_FALSE(run(dst.target->exists(lost)));

    // The tag names the root: taken as whole, nothing looked into.
    const auto plain = run(oras::ops::copy(*src.target, "v1", *dst.target, {}));
    EXPECT_EQ(plain.copied, 0u);
    EXPECT_FALSE(run(dst.target->exists(lost)));

    // Looked into: the missing blob alone comes (mounted: one registry); the manifests are put
    // again.
    remote watched(run, reg, "partial");
    oras::ops::copy_options o;
    o.traverse_existing = true;
    const auto forced = run(oras::ops::copy(*src.target, "v1", *watched.target, o));
    EXPECT_EQ(forced.blobs_copied + forced.mounted, 1u);
    EXPECT_EQ((*watched.log)["PUT manifest"], 3u);  // the index and both manifests
    expect_graph(run, *dst.target, index, "v1");
    expect_graph(run, *dst.target, x);
    expect_graph(run, *dst.target, y);
}

TEST(copy, recursive_brings_a_referrer_and_its_referrer) {
    registry_process reg;
    runner run;
    remote src(run, reg, "signed");
    const auto image = make_artifact("image", 10'000);
    const auto sig =
        make_artifact("signature", 300, image.manifest().desc, "application/vnd.test.signature");
    const auto sig_of_sig = make_artifact("countersignature", 200, sig.manifest().desc,
                                          "application/vnd.test.signature");
    put(run, *src.target, image, "v1");
    put(run, *src.target, sig);
    put(run, *src.target, sig_of_sig);

    remote plain(run, reg, "plain");
    run(oras::ops::copy(*src.target, "v1", *plain.target, {}));
    EXPECT_FALSE(run(plain.target->exists(sig.manifest().desc)));

    remote deep(run, reg, "deep");
    oras::ops::copy_options o;
    o.recursive = true;
    const auto r = run(oras::ops::copy(*src.target, "v1", *deep.target, o));
    EXPECT_EQ(r.referrers, 2u);
    expect_graph(run, *deep.target, image, "v1");
    expect_graph(run, *deep.target, sig);
    expect_graph(run, *deep.target, sig_of_sig);
    // The destination's fallback index lists them, as the source's did.
    const auto listed = run(deep.target->referrers(image.manifest().desc, {}));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].digest, sig.manifest().desc.digest);
    const auto listed2 = run(deep.target->referrers(sig.manifest().desc, {}));
    ASSERT_EQ(listed2.size(), 1u);
    EXPECT_EQ(listed2[0].digest, sig_of_sig.manifest().desc.digest);

    // Into a layout and from it again, referrers kept.
    oras::test::temp_dir tmp("oras-copy-");
    oras::content::oci_layout layout(tmp.path() / "layout");
    const auto l = run(oras::ops::copy(*src.target, "v1", layout, o));
    EXPECT_EQ(l.referrers, 2u);
    expect_graph(run, layout, sig_of_sig);
    remote back(run, reg, "back");
    const auto b = run(oras::ops::copy(layout, "v1", *back.target, o));
    EXPECT_EQ(b.referrers, 2u);
    expect_graph(run, *back.target, sig_of_sig);
}

/// The file distribution stores a blob's bytes in.
fs::path stored_blob(const registry_process& reg, const oras::digest& d) {
    const auto hex = std::string(d.encoded());
    return reg.storage_dir() / "docker/registry/v2/blobs/sha256" / hex.substr(0, 2) / hex / "data";
}

TEST(copy, a_corrupted_source_blob_fails_with_no_manifest_at_the_destination) {
    registry_process from;
    registry_process to;
    runner run;
    remote src(run, from, "bad");
    const auto a = make_artifact("corrupt", 600'000);
    put(run, *src.target, a, "v1");
    const auto big = a.nodes[2];
    {
        auto bytes = big.bytes;
        bytes[bytes.size() / 2] ^= 0x5a;  // same size, other bytes
        write_file(stored_blob(from, big.desc.digest), bytes);
    }
    remote dst(run, to, "bad");
    EXPECT_EQ(error_of([&] { run(oras::ops::copy(*src.target, "v1", *dst.target, {})); }),
              oras::errc::digest_mismatch);
    EXPECT_FALSE(run(dst.target->exists(a.manifest().desc)));
    EXPECT_FALSE(run(dst.target->exists(big.desc)));
    EXPECT_EQ(error_of([&] { run(dst.target->resolve("v1")); }), oras::errc::not_found);

    // Truncated: the blob file is cut short.
    write_file(stored_blob(from, big.desc.digest), big.bytes.substr(0, 1000));
    remote dst2(run, to, "bad2");
    const auto e = error_of([&] { run(oras::ops::copy(*src.target, "v1", *dst2.target, {})); });
    EXPECT_TRUE(e == oras::errc::size_mismatch || e == oras::errc::invalid_response)
        << static_cast<int>(e);
    EXPECT_FALSE(run(dst2.target->exists(a.manifest().desc)));
    EXPECT_FALSE(run(dst2.target->exists(big.desc)));
}

TEST(copy, a_missing_tag_and_a_destination_that_refuses_writes_fail_clearly) {
    registry_process from;
    registry_process to({.auth = auth_mode::token});
    runner run;
    remote src(run, from, "app");
    const auto a = make_artifact("refused", 1000);
    put(run, *src.target, a, "v1");
    remote dst(run, to, "app", oras::auth::credential{"reader", "reader-secret", "", ""});
    EXPECT_EQ(error_of([&] { run(oras::ops::copy(*src.target, "nope", *dst.target, {})); }),
              oras::errc::not_found);
    try {
        run(oras::ops::copy(*src.target, "v1", *dst.target, {}));
        ADD_FAILURE() << "a pull-only user copied";
    } catch (const oras::error& e) {
        const std::string what = e.what();
        EXPECT_EQ(what.find('\n'), std::string::npos) << what;
        EXPECT_NE(what.find("app"), std::string::npos) << what;
    }
}

TEST(copy, a_cancelled_copy_leaves_no_upload_session_open) {
    registry_process reg;
    oras::test::temp_dir tmp("oras-copy-");
    runner run;
    oras::content::oci_layout src(tmp.path() / "src");
    const auto a = make_artifact("cancel", 48 * 1024 * 1024);
    put(run, src, a, "v1");
    remote dst(run, reg, "cancelled");

    asio::cancellation_signal cancel;
    bool emitted = false;
    oras::ops::copy_options o;
    o.concurrency = 1;  // the cancellation lands mid-body of the large blob's PUT
    o.progress = [&](const oras::ops::progress_event& e) {
        if (e.what == kind::bytes && e.done > 0 && e.desc.size > 1'000'000 && !emitted) {
            emitted = true;  // mid-body: the upload session is open
            asio::post(run.io, [&] { cancel.emit(asio::cancellation_type::terminal); });
        }
    };
    std::exception_ptr failure;
    bool finished = false;
    asio::co_spawn(run.io, oras::ops::copy(src, "v1", *dst.target, o),
                   asio::bind_cancellation_slot(cancel.slot(),
                                                [&](std::exception_ptr e, oras::ops::copy_result) {
                                                    failure = e;
                                                    finished = true;
                                                }));
    run.io.restart();
    run.io.run();
    ASSERT_TRUE(emitted);
    ASSERT_TRUE(finished);
    ASSERT_TRUE(failure) << "the copy completed despite the cancellation";
    try {
        std::rethrow_exception(failure);
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::cancelled) << e.what();
        EXPECT_TRUE(oras::is_cancelled(failure));
        EXPECT_FALSE(oras::is_transient(failure));
    } catch (const std::exception& e) {
        ADD_FAILURE() << "cancellation surfaced as another exception: " << e.what();
    }
    EXPECT_FALSE(run(dst.target->exists(a.manifest().desc)));
    EXPECT_FALSE(run(dst.target->exists(a.nodes[2].desc)));
    // Every session opened was completed or cancelled. (Distribution answers the DELETE of a
    // session whose PUT was cut mid-body with 404 and leaves its files to the upload purger:
    // no client can close it, so what is checked is that the client tried.)
    ASSERT_FALSE(dst.sessions->opened.empty());
    for (const auto& s : dst.sessions->opened) {
        EXPECT_TRUE(dst.sessions->closed.contains(s)) << "session left open: " << s;
    }
    EXPECT_GE((*dst.log)["DELETE upload"], 1u);

    // Run again: everything is copied.
    const auto r = run(oras::ops::copy(src, "v1", *dst.target, {}));
    expect_graph(run, *dst.target, a, "v1");
    EXPECT_GE(r.copied, 1u);
}

TEST(copy, blocking_facade_and_completion_token) {
    registry_process reg;
    oras::test::temp_dir tmp("oras-copy-");
    runner run;
    remote src(run, reg, "src");
    const auto a = make_artifact("facade", 2000);
    put(run, *src.target, a, "v1");

    const auto r = oras::blocking::copy({reg.host() + "/src:v1", false, {}},
                                        {(tmp.path() / "layout").string() + ":x,y", true, {}});
    EXPECT_EQ(r.root.digest, a.manifest().desc.digest);
    oras::content::oci_layout layout(tmp.path() / "layout");
    expect_graph(run, layout, a, "x");
    EXPECT_EQ(run(layout.resolve("y")).digest, a.manifest().desc.digest);

    remote dst(run, reg, "token-form");
    auto f = oras::ops::async_copy(run.io.get_executor(), *src.target, "v1", *dst.target, {},
                                   asio::use_future);
    run.io.restart();
    run.io.run();
    EXPECT_EQ(f.get().root.digest, a.manifest().desc.digest);
    expect_graph(run, *dst.target, a, "v1");

    // The default token: co_await it.
    remote awaited(run, reg, "awaited");
    const auto copy_deferred = [&]() -> asio::awaitable<oras::ops::copy_result> {
        co_return co_await oras::ops::async_copy(run.io.get_executor(), *src.target, "v1",
                                                 *awaited.target, {});
    };
    EXPECT_EQ(run(copy_deferred()).root.digest, a.manifest().desc.digest);
    const auto fetch_deferred = [&]() -> asio::awaitable<oras::registry::manifest_content> {
        co_return co_await awaited.target->repo().async_fetch_manifest("v1");
    };
    EXPECT_EQ(run(fetch_deferred()).bytes, a.manifest().bytes);
}

// ---------------------------------------------------------------------------------------------
// CLI

struct cli_sandbox {
    oras::test::temp_dir tmp{"oras-cp-cli-"};
    fs::path home = tmp.path() / "home";
    cli_sandbox() { fs::create_directories(home); }

    oras::test::process_result oras(std::vector<std::string> args, std::string input = {}) const {
        std::vector<std::string> argv = {"env",
                                         "-u",
                                         "ORAS_USER",
                                         "-u",
                                         "ORAS_PASS",
                                         "HOME=" + home.string(),
                                         "DOCKER_CONFIG=" + (home / ".docker").string(),
                                         ORAS_CPP_BINARY};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = oras::test::run_process(argv, input, std::chrono::seconds{60});
        for (const auto* stream : {&r.out, &r.err}) {
            if (auto secret = oras::test::find_secret(*stream)) {
                ADD_FAILURE() << "oras-cpp printed a secret (" << *secret << "):\n" << *stream;
            }
        }
        return r;
    }
};

std::string dump(const oras::test::process_result& r) {
    return "exit " + std::to_string(r.exit_code) + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

TEST(copy_cli, cp_between_registries_and_layouts_with_the_oras_flags) {
    registry_process from({.auth = auth_mode::token});
    registry_process to({.auth = auth_mode::basic, .tls = true});
    cli_sandbox s;
    runner run;
    remote src(run, from, "cli/src", alice());
    const auto a = make_artifact("cli", 120'000);
    put(run, *src.target, a, "v1");

    const auto copied =
        s.oras({"cp", "--from-username", "alice", "--from-password", "alice-secret",
                "--to-username", "alice", "--to-password-stdin", "--to-ca-file", to.ca_file(),
                from.host() + "/cli/src:v1", to.host() + "/cli/dst:v1,stable", "--format", "json"},
               "alice-secret\n");
    ASSERT_EQ(copied.exit_code, 0) << dump(copied);
    const auto out = json::parse(copied.out).as_object();
    EXPECT_EQ(out.at("digest").as_string(), a.manifest().desc.digest.str());
    EXPECT_EQ(out.at("copied").to_number<int>(), 4);
    EXPECT_EQ(out.at("skipped").to_number<int>(), 0);
    EXPECT_EQ(out.at("tags").as_array().size(), 2u);
    remote dst(run, to, "cli/dst", alice());
    expect_graph(run, *dst.target, a, "stable");

    // Registry -> layout -> registry, text output, again with nothing to move.
    const auto layout = (s.tmp.path() / "layout").string();
    const auto down =
        s.oras({"cp", "--to-oci-layout", "--to-ca-file", to.ca_file(), "-u", "alice", "-p",
                "alice-secret", to.host() + "/cli/dst:stable", layout + ":v2", "--no-tty"});
    // `-u`/`-p` are not cp flags: the ORAS CLI has only --from-/--to- variants.
    EXPECT_NE(down.exit_code, 0) << dump(down);
    const auto down2 = s.oras({"cp", "--to-oci-layout", "--from-ca-file", to.ca_file(),
                               "--from-username", "alice", "--from-password", "alice-secret",
                               to.host() + "/cli/dst:stable", layout + ":v2", "--no-tty"});
    ASSERT_EQ(down2.exit_code, 0) << dump(down2);
    EXPECT_NE(down2.out.find("Copied [registry] " + to.host() + "/cli/dst:stable => [oci-layout] "),
              std::string::npos)
        << down2.out;
    EXPECT_NE(down2.out.find("Digest: " + a.manifest().desc.digest.str()), std::string::npos);
    oras::content::oci_layout l(layout);
    expect_graph(run, l, a, "v2");

    const auto again = s.oras({"cp", "--from-oci-layout", "--to-oci-layout", layout + ":v2",
                               (s.tmp.path() / "second").string() + ":v3", "--format", "json"});
    ASSERT_EQ(again.exit_code, 0) << dump(again);
    const auto again_out = json::parse(again.out).as_object();
    EXPECT_EQ(again_out.at("copied").to_number<int>(), 4);

    const auto rerun = s.oras({"cp", "--from-oci-layout", "--to-oci-layout", layout + ":v2",
                               (s.tmp.path() / "second").string() + ":v3", "--format", "json"});
    ASSERT_EQ(rerun.exit_code, 0) << dump(rerun);
    EXPECT_EQ(json::parse(rerun.out).at("copied").to_number<int>(), 0);

    // A blob lost from the destination: only `--force` looks past the tag and brings it back.
    const auto lost =
        s.tmp.path() / "second/blobs/sha256" / std::string(a.nodes[2].desc.digest.encoded());
    ASSERT_TRUE(fs::remove(lost));
    const auto forced =
        s.oras({"cp", "--force", "--from-oci-layout", "--to-oci-layout", layout + ":v2",
                (s.tmp.path() / "second").string() + ":v3", "--format", "json"});
    ASSERT_EQ(forced.exit_code, 0) << dump(forced);
    EXPECT_GE(json::parse(forced.out).at("copied").to_number<int>(), 1);
    EXPECT_EQ(read_file(lost), a.nodes[2].bytes);

    // One line on failure: a missing tag, a bad platform, a layout without a tag.
    const auto missing = s.oras({"cp", "--from-oci-layout", layout + ":nope",
                                 (s.tmp.path() / "third").string(), "--to-oci-layout"});
    EXPECT_EQ(missing.exit_code, 1) << dump(missing);
    EXPECT_EQ(std::count(missing.err.begin(), missing.err.end(), '\n'), 1) << missing.err;
    EXPECT_NE(missing.err.find("nope"), std::string::npos) << missing.err;
    const auto bad_platform =
        s.oras({"cp", "--platform", "linux/", "--from-oci-layout", "--to-oci-layout",
                layout + ":v2", (s.tmp.path() / "fourth").string()});
    EXPECT_EQ(bad_platform.exit_code, 1) << dump(bad_platform);
    EXPECT_NE(bad_platform.err.find("the architecture cannot be empty"), std::string::npos)
        << bad_platform.err;
    EXPECT_FALSE(fs::exists(s.tmp.path() / "fourth"));
}

TEST(copy_cli, skopeo_reads_what_cp_copied) {
    ASSERT_FALSE(oras::test::find_executable("skopeo").empty())
        << "skopeo is not installed (Debian package `skopeo`; scripts/setup.sh installs it)";
    registry_process from;
    registry_process to;
    cli_sandbox s;
    runner run;
    remote src(run, from, "interop/src");
    const oras::platform amd64{"amd64", "linux", "", {}, ""};
    const auto a =
        make_artifact("skopeo", 90'000, std::nullopt, "application/vnd.test.copy", amd64);
    put(run, *src.target, a, "v1");
    const auto copied =
        s.oras({"cp", from.host() + "/interop/src:v1", to.host() + "/interop/dst:v1", "--no-tty"});
    ASSERT_EQ(copied.exit_code, 0) << dump(copied);

    const auto policy = s.tmp.path() / "policy.json";
    write_file(policy, R"({"default":[{"type":"insecureAcceptAnything"}]})");
    const auto layout = s.tmp.path() / "skopeo-layout";
    const auto r = oras::test::run_process(
        {"env", "HOME=" + s.home.string(), oras::test::find_executable("skopeo"), "--policy",
         policy.string(), "copy", "--src-tls-verify=false",
         "docker://" + to.host() + "/interop/dst:v1", "oci:" + layout.string() + ":v1"},
        {}, std::chrono::seconds{60});
    ASSERT_EQ(r.exit_code, 0) << dump(r);
    for (const auto& n : a.nodes) {
        const auto path = layout / "blobs/sha256" / std::string(n.desc.digest.encoded());
        ASSERT_TRUE(fs::is_regular_file(path)) << n.desc.digest.str();
        EXPECT_EQ(read_file(path), n.bytes) << n.desc.digest.str();
    }
}

}  // namespace
