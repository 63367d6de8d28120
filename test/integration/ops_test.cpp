// push and pull through the library against the real registry: `oras::blocking` (anonymous,
// basic over TLS, token), `oras::ops` on a `registry::repository_target`; concurrency, progress
// events, the blob cache, directories archived once, continued pulls. The same operations on
// local stores only are unit tests (test/unit/ops/push_pull_test.cpp).
#include <oras/auth/client.hpp>
#include <oras/content/blob_cache.hpp>
#include <oras/content/file_store.hpp>
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
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>
#include <oras/registry/login.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/ops_sandbox.hpp>
#include <oras/test/registry_process.hpp>

#include <boost/asio/use_future.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <oras/test/files.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::descriptor;
using oras::test::auth_mode;
using oras::test::describe;
using oras::test::error_of;
using oras::test::pattern;
using oras::test::read_file;
using oras::test::registry_process;
using oras::test::snapshot;
using oras::test::subset;
using oras::test::tree;
using oras::test::write_file;
using kind = oras::ops::progress_event::kind;
using oras::test::check_pull_result;
using oras::test::check_push_result;
using oras::test::sandbox;

// ---------------------------------------------------------------------------------------------
// Helpers

/// A repository on a test registry as a content target, with its io_context.
struct remote {
    remote(const registry_process& reg, const std::string& name,
           std::optional<oras::auth::credential> cred = std::nullopt) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.tls.ca_file = reg.ca_file();
        oras::auth::client_options a;
        if (cred) {
            a.credentials = std::make_shared<oras::auth::static_credentials>(reg.host(), *cred);
        }
        auth.emplace(oras::http::client(io.get_executor(), o), a);
        target.emplace(oras::registry::repository(
            *auth, reg.host(), name, oras::registry::repository_options{.force_https = reg.tls()}));
    }

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }

    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository_target> target;
};

// ---------------------------------------------------------------------------------------------
// oras::blocking against the registry

void blocking_round_trip(const registry_process& reg,
                         const oras::blocking::remote_options& remote) {
    sandbox s;
    s.make_content();
    const std::string repo = reg.host() + "/ops/blocking";
    const auto pushed = oras::blocking::push(repo + ":a,b", s.options(), remote);
    check_push_result(pushed);
    EXPECT_EQ(pushed.blobs_uploaded, 4u);
    for (const std::string tag : {"a", "b"}) {
        const auto out = s.root / ("out-" + tag);
        oras::ops::pull_options po;
        po.output = out;
        const auto pulled = oras::blocking::pull(repo + ":" + tag, po, remote);
        check_pull_result(pulled, out, pushed.manifest);
        EXPECT_EQ(snapshot(out), s.content()) << tag;
    }
    // By digest.
    oras::ops::pull_options po;
    po.output = s.root / "by-digest";
    oras::blocking::pull(repo + "@" + pushed.manifest.digest.str(), po, remote);
    EXPECT_EQ(snapshot(po.output), s.content());

    // The same files again: nothing to upload.
    auto again = s.options();
    again.files = {{"a.txt", "text/plain"}, {"data.bin", ""}};
    const auto second = oras::blocking::push(repo + ":c", again, remote);
    EXPECT_EQ(second.blobs_uploaded, 0u);
}

TEST(ops, blocking_round_trip_anonymous) {
    registry_process reg;
    blocking_round_trip(reg, {});
}

TEST(ops, blocking_round_trip_with_basic_auth_over_tls) {
    registry_process reg({.auth = auth_mode::basic, .tls = true});
    oras::blocking::remote_options remote;
    remote.ca_file = reg.ca_file();
    remote.credentials.use_environment = false;
    remote.credentials.config_path = reg.dir() / "no-docker-config.json";
    remote.credentials.explicit_credential = {"alice", "alice-secret", "", ""};
    blocking_round_trip(reg, remote);

    sandbox s;
    s.make_content();
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"a.txt", ""}};
    // No credentials: refused.
    auto anonymous = remote;
    anonymous.credentials.explicit_credential = {};
    EXPECT_EQ(error_of([&] { oras::blocking::push(reg.host() + "/ops/anon:v1", o, anonymous); }),
              oras::errc::unauthorized);
    // A wrong password: refused.
    auto wrong = remote;
    wrong.credentials.explicit_credential.password = "wrong";
    EXPECT_EQ(error_of([&] { oras::blocking::push(reg.host() + "/ops/anon:v1", o, wrong); }),
              oras::errc::unauthorized);
    // Without a CA file or --insecure nothing asks for TLS, so a loopback registry is spoken to
    // in plain http, which this TLS registry answers with 400; --insecure means https.
    auto no_ca = remote;
    no_ca.ca_file.clear();
    no_ca.http.tls.ca_file.clear();
    EXPECT_EQ(error_of([&] { oras::blocking::push(reg.host() + "/ops/tls:v1", o, no_ca); }),
              oras::errc::unexpected_status);
    auto insecure = no_ca;
    insecure.insecure = true;
    EXPECT_NO_THROW(oras::blocking::push(reg.host() + "/ops/tls:v1", o, insecure));
}

TEST(ops, blocking_round_trip_with_tokens) {
    registry_process reg({.auth = auth_mode::token});
    oras::blocking::remote_options remote;
    remote.credentials.use_environment = false;
    remote.credentials.config_path = reg.dir() / "no-docker-config.json";
    remote.credentials.explicit_credential = {"alice", "alice-secret", "", ""};
    blocking_round_trip(reg, remote);
}

// ---------------------------------------------------------------------------------------------
// oras::ops on targets

TEST(ops, round_trip_on_a_repository_target) {
    registry_process reg;
    sandbox s;
    s.make_content();
    remote r(reg, "ops/target");
    auto o = s.options();
    o.tags = {"v1", "latest"};
    const auto pushed = r(oras::ops::push(*r.target, o));
    check_push_result(pushed);
    const std::vector<std::string> refs = {"v1", "latest", pushed.manifest.digest.str()};
    for (std::size_t i = 0; i < refs.size(); ++i) {
        const auto& ref = refs[i];
        const auto out = s.root / ("out-" + std::to_string(i));
        oras::ops::pull_options po;
        po.output = out;
        const auto pulled = r(oras::ops::pull(*r.target, ref, po));
        check_pull_result(pulled, out, pushed.manifest);
        EXPECT_EQ(snapshot(out), s.content()) << ref;
    }
    // The manifest stored is the one returned.
    const auto stored = r(oras::content::fetch_all(*r.target, pushed.manifest));
    EXPECT_EQ(stored, pushed.manifest_bytes);
}

// The completion-token forms: a future, a callback, and `co_await` of the default token, each
// carrying its arguments and options into the operation.
TEST(ops, push_and_pull_have_completion_token_forms) {
    registry_process reg({.auth = auth_mode::basic});
    sandbox s;
    s.make_content();
    oras::auth::credential alice{"alice", "alice-secret", "", ""};
    remote r(reg, "ops/async", alice);
    auto store = std::make_shared<oras::auth::static_credentials>();
    bool logged_in = false;
    oras::registry::async_login(r.auth->http(), reg.host(), alice, store,
                                {.repository = {.force_https = reg.tls()}, .save = true},
                                [&](std::exception_ptr e) {
                                    EXPECT_FALSE(e);
                                    logged_in = true;
                                });
    r.io.run();
    r.io.restart();
    EXPECT_TRUE(logged_in);
    EXPECT_EQ(store->get(reg.host())->username, "alice");

    auto o = s.options();
    o.tags = {"v1"};
    auto pushed_future = oras::ops::async_push(r.io.get_executor(), *r.target, o, asio::use_future);
    r.io.run();
    r.io.restart();
    const auto pushed = pushed_future.get();
    check_push_result(pushed);

    std::optional<oras::ops::pull_result> pulled;
    oras::ops::pull_options po;
    po.output = s.out;
    oras::ops::async_pull(r.io.get_executor(), *r.target, "v1", po,
                          [&](std::exception_ptr e, oras::ops::pull_result res) {
                              EXPECT_FALSE(e);
                              pulled = std::move(res);
                          });
    r.io.run();
    r.io.restart();
    ASSERT_TRUE(pulled);
    check_pull_result(*pulled, s.out, pushed.manifest);
    EXPECT_EQ(snapshot(s.out), s.content());

    // The default token: an awaitable on the caller's coroutine; a failure arrives as a throw.
    auto missing = r([&]() -> asio::awaitable<std::string> {
        oras::ops::pull_options none;
        none.output = s.root / "none";
        try {
            co_await oras::ops::async_pull(r.io.get_executor(), *r.target, "absent", none);
        } catch (const oras::error& e) {
            co_return e.code().message();
        }
        co_return "pulled";
    }());
    EXPECT_EQ(missing, oras::make_error_code(oras::errc::not_found).message());
}

TEST(ops, concurrency_one_and_eight_agree) {
    registry_process reg;
    sandbox s;
    std::vector<oras::ops::push_file> files;
    std::set<std::string> distinct;  // four empty files share one blob
    for (unsigned i = 0; i < 24; ++i) {
        const auto name = "f" + std::to_string(i) + ".bin";
        const std::size_t size = i % 6 == 0 ? 0 : i % 6 == 1 ? 1 : (i * 37'000) % 1'300'000 + 2;
        write_file(s.work / name, pattern(size, i + 100));
        distinct.insert(oras::digest::of(pattern(size, i + 100)).str());
        files.push_back({name, ""});
    }
    fs::create_directories(s.work / "dir/inner");
    write_file(s.work / "dir/inner/x.txt", "x");
    files.push_back({"dir", ""});

    std::vector<std::string> manifests;
    for (const std::size_t n : {1u, 8u}) {
        remote r(reg, "ops/concurrency-" + std::to_string(n));
        oras::ops::push_options o;
        o.working_dir = s.work;
        o.files = files;
        o.created_annotation = false;
        o.concurrency = n;
        o.tags = {"v1"};
        const auto pushed = r(oras::ops::push(*r.target, o));
        ASSERT_EQ(pushed.layers.size(), files.size());
        for (std::size_t i = 0; i < files.size(); ++i) {
            EXPECT_EQ(pushed.layers[i].annotation(oras::annotation::title), files[i].path.string());
        }
        EXPECT_GE(pushed.blobs_uploaded, distinct.size() + 2) << "concurrency " << n;
        manifests.push_back(pushed.manifest_bytes);
        for (const std::size_t m : {1u, 8u}) {
            const auto out = s.root / ("out-" + std::to_string(n) + "-" + std::to_string(m));
            oras::ops::pull_options po;
            po.output = out;
            po.concurrency = m;
            const auto pulled = r(oras::ops::pull(*r.target, "v1", po));
            EXPECT_EQ(pulled.files.size(), files.size());
            EXPECT_EQ(snapshot(out), snapshot(s.work)) << n << " " << m;
        }
    }
    EXPECT_EQ(manifests[0], manifests[1]);
}

TEST(ops, identical_files_are_uploaded_once) {
    registry_process reg;
    sandbox s;
    std::vector<oras::ops::push_file> files;
    for (int i = 0; i < 6; ++i) {
        const auto name = "same" + std::to_string(i) + ".bin";
        write_file(s.work / name, pattern(200'000, 5));
        files.push_back({name, ""});
    }
    for (const std::size_t n : {1u, 8u}) {
        remote r(reg, "ops/identical-" + std::to_string(n));
        oras::ops::push_options o;
        o.working_dir = s.work;
        o.files = files;
        o.concurrency = n;
        std::size_t started = 0;
        o.progress = [&started](const oras::ops::progress_event& e) {
            started += e.what == kind::started && e.name != "$manifest";
        };
        const auto pushed = r(oras::ops::push(*r.target, o));
        // One blob for the six files, and the empty config.
        EXPECT_EQ(pushed.blobs_uploaded, 2u) << "concurrency " << n;
        EXPECT_EQ(started, 2u) << "concurrency " << n;
    }
}

TEST(ops, progress_events) {
    registry_process reg;
    sandbox s;
    s.make_content();
    remote r(reg, "ops/progress");
    std::vector<oras::ops::progress_event> events;
    const auto record = [&events](const oras::ops::progress_event& e) { events.push_back(e); };
    const auto seen = [&events](kind k, const std::string& name) {
        return std::count_if(events.begin(), events.end(),
                             [&](const auto& e) { return e.what == k && e.name == name; });
    };
    const auto last_bytes = [&events](const std::string& name) {
        std::uint64_t last = 0;
        for (const auto& e : events) {
            if (e.what == kind::bytes && e.name == name) {
                EXPECT_GE(e.done, last) << name;
                last = e.done;
            }
        }
        return last;
    };

    auto o = s.options();
    o.tags = {"v1"};
    o.progress = record;
    const auto pushed = r(oras::ops::push(*r.target, o));
    for (const std::string name : {"a.txt", "data.bin", "tree", "$config", "$manifest"}) {
        EXPECT_EQ(seen(kind::started, name), 1) << name;
        EXPECT_EQ(seen(kind::finished, name), 1) << name;
        EXPECT_EQ(seen(kind::exists, name), 0) << name;
    }
    EXPECT_EQ(last_bytes("data.bin"), 1536u * 1024u + 5u);
    EXPECT_EQ(last_bytes("a.txt"), 11u);
    EXPECT_EQ(last_bytes("tree"), static_cast<std::uint64_t>(pushed.layers[2].size));
    for (const auto& e : events) {
        if (e.what == kind::finished && e.name == "data.bin") {
            EXPECT_EQ(e.desc.size, 1536 * 1024 + 5);
            EXPECT_EQ(e.done, 1536u * 1024u + 5u);
        }
    }

    // Again: the files and the config are already there.
    events.clear();
    o.tags = {"v2"};
    o.files = {{"a.txt", "text/plain"}, {"data.bin", ""}};
    r(oras::ops::push(*r.target, o));
    for (const std::string name : {"a.txt", "data.bin", "$config"}) {
        EXPECT_EQ(seen(kind::exists, name), 1) << name;
        EXPECT_EQ(seen(kind::started, name), 0) << name;
        EXPECT_EQ(seen(kind::bytes, name), 0) << name;
    }

    // Pull: started, bytes, finished per layer; filtered layers are skipped.
    events.clear();
    oras::ops::pull_options po;
    po.output = s.out;
    po.progress = record;
    po.media_types = {"text/plain", std::string(oras::media_type::image_layer_gzip)};
    const auto pulled = r(oras::ops::pull(*r.target, "v1", po));
    EXPECT_EQ(pulled.skipped, 1u);
    EXPECT_EQ(pulled.files.size(), 2u);
    for (const std::string name : {"a.txt", "tree"}) {
        EXPECT_EQ(seen(kind::started, name), 1) << name;
        EXPECT_GE(seen(kind::bytes, name), 1) << name;
        EXPECT_EQ(seen(kind::finished, name), 1) << name;
    }
    EXPECT_EQ(last_bytes("a.txt"), 11u);
    EXPECT_EQ(last_bytes("tree"), static_cast<std::uint64_t>(pushed.layers[2].size));
    EXPECT_EQ(seen(kind::skipped, "data.bin"), 1);
    EXPECT_EQ(seen(kind::started, "data.bin"), 0);
    EXPECT_EQ(snapshot(s.out), subset(s.content(), {"a.txt", "tree"}));
}

}  // namespace

TEST(ops, a_second_pull_through_the_blob_cache_fetches_no_blob) {
    registry_process reg;
    sandbox s;
    s.make_content();
    remote r(reg, "ops/cached");
    auto o = s.options();
    o.tags = {"v1"};
    r(oras::ops::push(*r.target, o));
    const auto cache_dir = s.root / "cache";

    const auto pull_into = [&](const fs::path& out) {
        oras::ops::pull_options po;
        po.output = out;
        po.cache = std::make_shared<oras::content::blob_cache>(cache_dir);
        const auto before = r.auth->http().stats().requests_sent;
        auto pulled = r(oras::ops::pull(*r.target, "v1", po));
        EXPECT_EQ(snapshot(out), s.content());
        return std::tuple{pulled, r.auth->http().stats().requests_sent - before, po.cache->stats()};
    };
    const auto [first, first_requests, first_stats] = pull_into(s.root / "out-1");
    EXPECT_EQ(first.cached, 0u);
    EXPECT_EQ(first_stats.stored, first.files.size());
    const auto [second, second_requests, second_stats] = pull_into(s.root / "out-2");
    EXPECT_EQ(second.cached, second.files.size());
    EXPECT_EQ(second_stats.hits, second.files.size());
    EXPECT_EQ(second_stats.stored, 0u);
    // The tag resolved and the manifest fetched in one GET, and no blob GET at all.
    EXPECT_EQ(second_requests, first_requests - first.files.size());
    EXPECT_EQ(second_requests, 1u);

    // A damaged entry is found, dropped and fetched again.
    const auto& layer = second.files.front().desc;
    const auto entry = cache_dir / "blobs" / "sha256" / std::string(layer.digest.encoded());
    write_file(entry, std::string(static_cast<std::size_t>(layer.size), 'x'));
    const auto [third, third_requests, third_stats] = pull_into(s.root / "out-3");
    EXPECT_EQ(third_stats.corrupt, 1u);
    EXPECT_EQ(third_stats.stored, 1u);
    EXPECT_EQ(third.cached, third.files.size() - 1);
    EXPECT_EQ(third_requests, second_requests + 1);
}

TEST(ops, a_directory_pushed_twice_is_archived_once) {
    registry_process reg;
    sandbox s;
    s.make_content();
    // Settled: a tree after a timestamp granule, a large file after two seconds (tree_cache).
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    remote r(reg, "ops/trees");
    auto o = s.options();
    o.tags = {"v1"};
    o.tree_cache = s.root / "trees";

    // New: archived once, streamed into the registry as it is produced.
    const auto first = r(oras::ops::push(*r.target, o));
    check_push_result(first);
    EXPECT_EQ(first.archive_passes, 1u);
    EXPECT_EQ(first.blobs_uploaded, 4u);  // three layers and the config

    EXPECT_EQ(first.files_hashed, 2u);  // a.txt and data.bin (the config is read whole)

    // Unchanged: described from the tree cache, found in the registry, not archived at all;
    // data.bin (1.5 MiB) is not read either.
    o.tags = {"v2"};
    const auto second = r(oras::ops::push(*r.target, o));
    EXPECT_EQ(second.archive_passes, 0u);
    EXPECT_EQ(second.files_hashed, 1u);
    EXPECT_EQ(second.blobs_uploaded, 0u);
    EXPECT_EQ(second.layers, first.layers);

    // Known but missing where it goes: archived once, for the upload, and verified there.
    remote other(reg, "ops/trees-elsewhere");
    const auto third = other(oras::ops::push(*other.target, o));
    EXPECT_EQ(third.archive_passes, 1u);
    EXPECT_EQ(third.blobs_uploaded, 4u);
    EXPECT_EQ(third.layers, first.layers);

    // What the registries hold comes back as the tree.
    for (auto* where : {&r, &other}) {
        const auto out = s.root / ("out-" + std::to_string(where == &r));
        oras::ops::pull_options po;
        po.output = out;
        (*where)(oras::ops::pull(*where->target, "v2", po));
        EXPECT_EQ(snapshot(out), s.content());
    }

    // Without a tree cache each push archives once, streaming, and still never twice.
    o.tree_cache.clear();
    const auto uncached = r(oras::ops::push(*r.target, o));
    EXPECT_EQ(uncached.archive_passes, 1u);
    EXPECT_EQ(uncached.layers, first.layers);
}

TEST(ops, a_stale_file_digest_in_the_tree_cache_fails_the_push_once_and_is_forgotten) {
    registry_process reg;
    sandbox s;
    const auto bytes = pattern(2 << 20, 5);
    write_file(s.work / "big.bin", bytes);
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // settled: see tree_cache
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"big.bin", ""}};
    o.tags = {"v1"};
    o.tree_cache = s.root / "trees";
    remote first(reg, "ops/stale-a");
    const auto pushed = first(oras::ops::push(*first.target, o));
    ASSERT_EQ(pushed.files_hashed, 1u);

    // An entry that names other bytes of the same size, as one taken while a write that started
    // before it was still changing the file would.
    fs::path entry;
    for (const auto& e : fs::directory_iterator(s.root / "trees")) {
        if (read_file(e.path()).starts_with("oras-cpp file digest v1\n")) {
            entry = e.path();
        }
    }
    ASSERT_FALSE(entry.empty());
    auto text = read_file(entry);
    const auto real = oras::digest::of(bytes).str();
    const auto stale = oras::digest::of(pattern(2 << 20, 6)).str();
    ASSERT_NE(text.find(real), std::string::npos);
    text.replace(text.find(real), real.size(), stale);
    write_file(entry, text);

    // Sent under the stale digest: the registry refuses it; the entry goes.
    remote second(reg, "ops/stale-b");
    try {
        second(oras::ops::push(*second.target, o));
        ADD_FAILURE() << "the push of bytes under another digest succeeded";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::digest_mismatch) << e.what();
        EXPECT_NE(std::string(e.what()).find("tree cache"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(entry));
    const auto again = second(oras::ops::push(*second.target, o));
    EXPECT_EQ(again.files_hashed, 1u);
    EXPECT_EQ(again.layers.at(0).digest.str(), real);
}

TEST(ops, a_pull_continues_the_partial_file_a_killed_pull_left) {
    registry_process reg;
    sandbox s;
    s.make_content();
    remote r(reg, "ops/resumed");
    auto o = s.options();
    o.tags = {"v1"};
    r(oras::ops::push(*r.target, o));
    const auto data = read_file(s.work / "data.bin");
    ASSERT_GE(data.size(), static_cast<std::size_t>(oras::content::file_store::resume_min_size));
    const auto data_digest = oras::digest::of(data);
    const std::string tag(data_digest.encoded().substr(0, 32));
    const auto partial = s.out / (".data.bin.oras-partial-" + tag);
    const std::size_t kept = 700 * 1024 + 3;

    // What a pull killed mid-way leaves: the first bytes, under the stable partial name.
    write_file(partial, data.substr(0, kept));
    std::uint64_t resumed_at = 0;
    std::uint64_t first_done = 0;
    std::uint64_t last_done = 0;
    oras::ops::pull_options po;
    po.output = s.out;
    po.progress = [&](const oras::ops::progress_event& e) {
        if (e.name != "data.bin") {
            return;
        }
        if (e.what == kind::resumed) {
            resumed_at = e.done;
        } else if (e.what == kind::bytes) {
            first_done = first_done == 0 ? e.done : first_done;
            last_done = e.done;
        }
    };
    const auto pulled = r(oras::ops::pull(*r.target, "v1", po));
    EXPECT_EQ(pulled.resumed, 1u);
    EXPECT_EQ(snapshot(s.out), s.content());
    EXPECT_FALSE(fs::exists(partial));
    // Said to continue from what was kept, and counted from there.
    EXPECT_EQ(resumed_at, kept);
    EXPECT_GT(first_done, kept);
    EXPECT_EQ(last_done, data.size());

    // A kept beginning that is not the blob's: the whole fails the digest check, the partial
    // file goes, and the same pull copies the whole blob instead.
    std::string damaged = data.substr(0, kept);
    damaged[10] ^= 0x5a;
    fs::remove_all(s.out);
    fs::create_directories(s.out);
    write_file(partial, damaged);
    const auto again = r(oras::ops::pull(*r.target, "v1", po));
    EXPECT_EQ(again.resumed, 0u);
    EXPECT_FALSE(fs::exists(partial));
    EXPECT_EQ(snapshot(s.out), s.content());
}

// Past 32 MiB a pulled file is written directly (O_DIRECT) from the blocks it is received in.
// A partial file cut there at an unaligned length: the rest goes on from that byte (through the
// page cache up to the next aligned offset, directly after it), and the file is exact.
TEST(ops, a_large_partial_file_continues_where_direct_writes_carry_it_on) {
    registry_process reg;
    sandbox s;
    const auto data = pattern(40 * 1024 * 1024 + 7, 23);
    write_file(s.work / "large.bin", data);
    remote r(reg, "ops/resumed-large");
    oras::ops::push_options o;
    o.working_dir = s.work;
    o.files = {{"large.bin", ""}};
    o.tags = {"v1"};
    r(oras::ops::push(*r.target, o));
    const std::string tag(oras::digest::of(data).encoded().substr(0, 32));
    const auto partial = s.out / (".large.bin.oras-partial-" + tag);
    const std::size_t kept = 36 * 1024 * 1024 + 5;
    write_file(partial, data.substr(0, kept));
    std::uint64_t last_done = 0;
    oras::ops::pull_options po;
    po.output = s.out;
    po.progress = [&last_done](const oras::ops::progress_event& e) {
        if (e.what == kind::bytes && e.name == "large.bin") {
            last_done = e.done;
        }
    };
    const auto pulled = r(oras::ops::pull(*r.target, "v1", po));
    EXPECT_EQ(pulled.resumed, 1u);
    EXPECT_EQ(last_done, data.size());  // counted from what was kept
    EXPECT_FALSE(fs::exists(partial));
    EXPECT_TRUE(read_file(s.out / "large.bin") == data) << "the pulled file differs";
    // And a whole pull of it, for a fresh name: written directly past 32 MiB, exact.
    fs::remove_all(s.out);
    fs::create_directories(s.out);
    const auto whole = r(oras::ops::pull(*r.target, "v1", po));
    EXPECT_EQ(whole.resumed, 0u);
    EXPECT_TRUE(read_file(s.out / "large.bin") == data) << "the pulled file differs";
}
