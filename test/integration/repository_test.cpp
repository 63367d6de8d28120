// The remote repository against the real registry: blobs (known and unknown digests, files,
// corrupt storage, mounts, deletes), manifests (push, resolve, fetch, tag, delete) and tags, in
// anonymous and token modes.
#include <oras/error.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/registry/registry.hpp>
#include <oras/registry/repository.hpp>
#include <oras/registry/repository_target.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <oras/test/files.hpp>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <future>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::descriptor;
using oras::test::auth_mode;
using oras::test::describe;
using oras::test::error_of;
using oras::test::pattern;
using oras::test::registry_process;

using oras::test::run;

struct fixture {
    fixture(const registry_process& reg, std::string name, bool with_credentials = false) {
        oras::http::client_options o;
        o.proxy.from_environment = false;
        o.tls.ca_file = reg.ca_file();
        oras::auth::client_options a;
        if (with_credentials) {
            a.credentials = std::make_shared<oras::auth::static_credentials>(
                reg.host(), oras::auth::credential{"alice", "alice-secret", "", ""});
        }
        auth.emplace(oras::http::client(io.get_executor(), o), a);
        repo.emplace(*auth, reg.host(), name,
                     oras::registry::repository_options{.force_https = reg.tls()});
    }

    oras::registry::repository other(const registry_process& reg, std::string name) {
        return oras::registry::repository(*auth, reg.host(), name, {.force_https = reg.tls()});
    }

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return run(io, std::move(a));
    }

    std::string fetch(const descriptor& d) {
        auto out = std::make_shared<std::string>();
        run(io, repo->fetch_blob(d, [out](std::span<const std::byte> b) -> asio::awaitable<void> {
            out->append(reinterpret_cast<const char*>(b.data()), b.size());
            co_return;
        }));
        return *out;
    }

    asio::io_context io;
    std::optional<oras::auth::client> auth;
    std::optional<oras::registry::repository> repo;
};

void blob_round_trips(const registry_process& reg, bool with_credentials) {
    fixture f(reg, "team/blobs", with_credentials);
    const std::string small = "hello, blob";
    const auto d = describe(small);
    EXPECT_FALSE(f(f.repo->blob_exists(d.digest)).has_value());
    f(f.repo->push_blob(d, oras::byte_source::from_string(small)));
    const auto found = f(f.repo->blob_exists(d.digest));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->size, d.size);
    EXPECT_EQ(f.fetch(d), small);

    // A file, read in slices and hashed as it streams.
    oras::test::temp_dir dir;
    const auto data = pattern(9 << 20, 1);
    std::ofstream(dir.path() / "big.bin", std::ios::binary)
        .write(data.data(), static_cast<std::streamsize>(data.size()));
    const auto big = describe(data);
    f(f.repo->push_blob(big, oras::byte_source::from_file(dir.path() / "big.bin")));
    EXPECT_EQ(f.fetch(big), data);

    // Unknown digest: streamed through PATCH, digest computed on the way.
    const auto streamed = pattern(3 << 20, 2);
    auto pos = std::make_shared<std::size_t>(0);
    auto gen = [&streamed, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = std::min<std::size_t>({buf.size(), streamed.size() - *pos, 100'000});
        std::memcpy(buf.data(), streamed.data() + *pos, n);
        *pos += n;
        co_return n;
    };
    const auto pushed =
        f(f.repo->push_blob_stream(oras::byte_source::from_generator(gen), "application/vnd.test"));
    EXPECT_EQ(pushed.digest, oras::digest::of(streamed));
    EXPECT_EQ(pushed.size, static_cast<std::int64_t>(streamed.size()));
    EXPECT_EQ(pushed.media_type, "application/vnd.test");
    EXPECT_EQ(f.fetch(pushed), streamed);
}

TEST(repository, blob_round_trips_anonymous) {
    registry_process reg;
    blob_round_trips(reg, false);
}

TEST(repository, blob_round_trips_with_tokens) {
    registry_process reg({.auth = auth_mode::token});
    blob_round_trips(reg, true);
}

TEST(repository, blob_round_trips_with_relative_locations_over_tls) {
    registry_process reg({.tls = true, .relative_urls = true});
    blob_round_trips(reg, false);
}

TEST(repository, chunked_uploads_mounts_with_fallback_and_ranges) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, "chunked", true);
    oras::registry::repository chunked(*f.auth, reg.host(), "chunked", {.chunk_size = 1 << 20});
    const auto data = pattern((7 << 19) + 123, 7);  // 3.5 MiB and a bit: 4 chunks
    auto pos = std::make_shared<std::size_t>(0);
    auto gen = [&data, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        const auto n = std::min<std::size_t>({buf.size(), data.size() - *pos, 300'000});
        std::memcpy(buf.data(), data.data() + *pos, n);
        *pos += n;
        co_return n;
    };
    const auto pushed = f(chunked.push_blob_stream(oras::byte_source::from_generator(gen), "x/y"));
    EXPECT_EQ(pushed.digest, oras::digest::of(data));
    EXPECT_EQ(f.fetch(pushed), data);

    // Parts of it.
    auto part = std::make_shared<std::string>();
    f(f.repo->fetch_blob_range(pushed.digest, 1'000'000, 70'000,
                               [part](std::span<const std::byte> b) -> asio::awaitable<void> {
                                   part->append(reinterpret_cast<const char*>(b.data()), b.size());
                                   co_return;
                               }));
    EXPECT_EQ(*part, data.substr(1'000'000, 70'000));

    // A mount from a repository that lacks the blob falls back to an upload in the same session.
    auto target = f.other(reg, "mount-target");
    const std::string fresh = "only here";
    EXPECT_FALSE(
        f(target.mount_blob(describe(fresh), "chunked", oras::byte_source::from_string(fresh))));
    EXPECT_TRUE(f(target.blob_exists(describe(fresh).digest)).has_value());
}

void unless_present_round_trip(const registry_process& reg, bool with_credentials) {
    fixture f(reg, "probed", with_credentials);
    const std::string data = "a small blob, asked about with a mount into its own repository";
    const auto d = describe(data);
    auto opened = std::make_shared<int>(0);
    std::function<asio::awaitable<oras::byte_source>()> open =
        [data, opened]() -> asio::awaitable<oras::byte_source> {
        ++*opened;
        co_return oras::byte_source::from_string(data);
    };
    const auto requests = [&f] {
        const auto h = f.auth->http().stats();
        const auto a = f.auth->stats();
        return h.requests_sent - h.retries - a.token_requests - a.retried - a.discoveries;
    };
    // Warm the credentials, so that only the blob's own requests are counted.
    EXPECT_FALSE(f(f.repo->blob_exists(describe("none").digest)).has_value());
    auto before = requests();
    EXPECT_FALSE(f(f.repo->push_blob_unless_present(d, open)));
    EXPECT_EQ(requests() - before, 2u);  // POST ?mount= (202), PUT
    EXPECT_EQ(f.fetch(d), data);
    before = requests();
    EXPECT_TRUE(f(f.repo->push_blob_unless_present(d, open)));
    EXPECT_EQ(requests() - before, 0u);  // pushed here lately: known, not asked about
    // Another handle on the repository knows nothing of it: asked with the mount, which is
    // answered 201.
    auto again = f.other(reg, "probed");
    before = requests();
    EXPECT_TRUE(f(again.push_blob_unless_present(d, open)));
    EXPECT_EQ(requests() - before, 1u);  // POST ?mount= (201)
    EXPECT_EQ(*opened, 1);

    // Another repository of the same registry holding the blob does not count as this one.
    auto other = f.other(reg, "probed-other");
    EXPECT_FALSE(f(other.push_blob_unless_present(d, open)));
    EXPECT_EQ(*opened, 2);
    EXPECT_TRUE(f(other.blob_exists(d.digest)).has_value());
}

TEST(repository, a_small_blob_is_pushed_unless_present_in_two_requests_anonymous) {
    registry_process reg;
    unless_present_round_trip(reg, false);
}

TEST(repository, a_small_blob_is_pushed_unless_present_in_two_requests_with_tokens) {
    registry_process reg({.auth = auth_mode::token});
    unless_present_round_trip(reg, true);
}

TEST(repository, a_large_blob_comes_as_parallel_ranges_from_distribution) {
    // With tokens: every range is authorised, each on a pooled connection.
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, "ranged", true);
    const auto data = pattern((5 << 20) + 3, 8);
    const auto d = describe(data);
    f(f.repo->push_blob(d, oras::byte_source::from_string(data)));

    oras::registry::repository_options o;
    o.parallel_download_min_size = 1 << 20;
    o.parallel_download_parts = 3;
    o.parallel_download_chunk = 1 << 20;
    o.parallel_download_fast_rate = 0;  // loopback: striped all the same
    oras::registry::repository ranged(*f.auth, reg.host(), "ranged", o);
    const auto before = f.auth->http().stats().requests_sent;
    auto out = std::make_shared<std::string>();
    f(ranged.fetch_blob(d, [out](std::span<const std::byte> b) -> asio::awaitable<void> {
        out->append(reinterpret_cast<const char*>(b.data()), b.size());
        co_return;
    }));
    EXPECT_TRUE(*out == data);
    EXPECT_EQ(f.auth->http().stats().requests_sent - before, 6u);  // five chunks of 1 MiB and 3

    // Through a target, as pull and copy read it, and again after a rewind.
    const auto twice = [&f, &d](oras::registry::repository& r) {
        return f([&]() -> asio::awaitable<std::string> {
            oras::registry::repository_target t(r);
            auto reader = co_await t.open(d);
            std::string all;
            std::vector<std::byte> buf(300'000);
            for (int pass = 0; pass < 2; ++pass) {
                reader.rewind();
                while (const auto n = co_await reader.read(buf)) {
                    all.append(reinterpret_cast<const char*>(buf.data()), n);
                }
            }
            co_return all;
        }());
    };
    EXPECT_TRUE(twice(ranged) == data + data);

    // The default on loopback: the first chunk comes fast, the rest as one stream.
    oras::registry::repository_options defaults;
    defaults.parallel_download_min_size = 1 << 20;
    oras::registry::repository plain(*f.auth, reg.host(), "ranged", defaults);
    const auto start = f.auth->http().stats().requests_sent;
    EXPECT_TRUE(twice(plain) == data + data);
    // The whole blob, read on past its first chunk, then the rest again after the rewind (or,
    // on a busy machine where the first chunk came slowly: that request, two ranges, and
    // three after the rewind; a rewind before the first read keeps the first chunk).
    EXPECT_LE(f.auth->http().stats().requests_sent - start, 6u);
}

TEST(repository, a_body_that_does_not_match_its_descriptor_is_not_stored) {
    registry_process reg;
    fixture f(reg, "app");
    const auto claimed = describe(pattern(1 << 20, 3));
    const auto actual = pattern(1 << 20, 4);
    EXPECT_EQ(
        error_of([&] { f(f.repo->push_blob(claimed, oras::byte_source::from_string(actual))); }),
        oras::errc::digest_mismatch);
    // Streamed from a file: the mismatch shows only at the end, and the last bytes are withheld.
    oras::test::temp_dir dir;
    std::ofstream(dir.path() / "x", std::ios::binary)
        .write(actual.data(), static_cast<std::streamsize>(actual.size()));
    EXPECT_EQ(error_of([&] {
                  f(f.repo->push_blob(claimed, oras::byte_source::from_file(dir.path() / "x")));
              }),
              oras::errc::digest_mismatch);
    EXPECT_FALSE(f(f.repo->blob_exists(claimed.digest)).has_value());
    EXPECT_FALSE(f(f.repo->blob_exists(oras::digest::of(actual))).has_value());

    // Without the client's own check (the caller hashed the file just before, and it changed
    // since) the registry's digest check refuses it.
    try {
        f(f.repo->push_blob(claimed, oras::byte_source::from_file(dir.path() / "x"),
                            /*verify=*/false));
        ADD_FAILURE() << "the registry stored bytes under another digest";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.diag().status, 400u) << e.what();
        ASSERT_FALSE(e.diag().errors.empty());
        EXPECT_EQ(e.diag().errors[0].code, "DIGEST_INVALID");
    }
    EXPECT_FALSE(f(f.repo->blob_exists(claimed.digest)).has_value());
}

// Two pushes of one digest at once share one upload; when the one that uploads fails for its
// own body's sake, the other sends its own rather than failing with the other's error.
TEST(repository, a_push_waiting_on_a_failed_upload_of_the_same_blob_sends_its_own) {
    registry_process reg;
    fixture f(reg, "app");
    const auto right = pattern(4 << 20, 5);
    auto wrong = right;
    wrong[100] ^= 1;
    const auto d = describe(right);
    std::vector<std::exception_ptr> failed(2);
    std::vector<bool> done(2, false);
    // The wrong bytes come slowly, so that the second push finds the upload under way.
    auto pos = std::make_shared<std::size_t>(0);
    auto slow = [&wrong, pos](std::span<std::byte> buf) -> asio::awaitable<std::size_t> {
        asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(20));
        co_await t.async_wait(asio::use_awaitable);
        const auto n = std::min<std::size_t>({buf.size(), wrong.size() - *pos, 1 << 20});
        std::memcpy(buf.data(), wrong.data() + *pos, n);
        *pos += n;
        co_return n;
    };
    for (std::size_t i = 0; i < 2; ++i) {
        auto body = i == 0 ? oras::byte_source::from_generator(slow, wrong.size())
                           : oras::byte_source::from_string(right);
        auto push = f.repo->push_blob(d, std::move(body));
        asio::co_spawn(f.io, std::move(push), [&, i](std::exception_ptr e) {
            failed[i] = e;
            done[i] = true;
        });
    }
    f.io.restart();
    f.io.run();
    ASSERT_TRUE(done[0] && done[1]);
    EXPECT_TRUE(failed[0]);
    EXPECT_FALSE(failed[1]);
    EXPECT_EQ(f.fetch(d), right);
}

TEST(repository, a_blob_served_with_other_bytes_fails_its_digest_check) {
    registry_process reg;
    fixture f(reg, "app");
    const auto data = pattern(256 << 10, 5);
    const auto d = describe(data);
    f(f.repo->push_blob(d, oras::byte_source::from_string(data)));
    // Corrupt the stored bytes behind the registry's back (same length).
    const auto hex = d.digest.encoded();
    const auto stored = reg.storage_dir() / "docker/registry/v2/blobs/sha256"
                        / std::string(hex.substr(0, 2)) / std::string(hex) / "data";
    ASSERT_TRUE(fs::exists(stored)) << stored;
    auto corrupt = data;
    corrupt[1000] ^= 1;
    std::ofstream(stored, std::ios::binary | std::ios::trunc)
        .write(corrupt.data(), static_cast<std::streamsize>(corrupt.size()));
    EXPECT_EQ(error_of([&] { f.fetch(d); }), oras::errc::digest_mismatch);

    // A descriptor with the wrong size fails before any byte is trusted.
    auto wrong_size = d;
    wrong_size.size += 1;
    EXPECT_EQ(error_of([&] { f.fetch(wrong_size); }), oras::errc::size_mismatch);
    // A blob the repository does not have.
    EXPECT_EQ(error_of([&] { f.fetch(describe("absent")); }), oras::errc::not_found);
}

TEST(repository, mount_across_repositories_and_delete) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, "source", true);
    const auto data = pattern(64 << 10, 6);
    const auto d = describe(data);
    f(f.repo->push_blob(d, oras::byte_source::from_string(data)));

    auto target = f.other(reg, "target");
    EXPECT_FALSE(f(target.blob_exists(d.digest)).has_value());
    EXPECT_TRUE(f(target.mount_blob(d, "source")));
    EXPECT_TRUE(f(target.blob_exists(d.digest)).has_value());
    EXPECT_FALSE(f(target.mount_blob(describe("never pushed"), "source")));

    f(target.delete_blob(d.digest));
    EXPECT_FALSE(f(target.blob_exists(d.digest)).has_value());
    EXPECT_TRUE(f(f.repo->blob_exists(d.digest)).has_value());  // still in the source
}

void manifest_round_trip(const registry_process& reg, bool with_credentials) {
    fixture f(reg, "team/artifact", with_credentials);
    const auto config = oras::empty_json_descriptor();
    f(f.repo->push_blob(config, oras::byte_source::from_string("{}")));
    const std::string layer_data = "layer bytes";
    auto layer = describe(layer_data, "application/vnd.test.layer");
    f(f.repo->push_blob(layer, oras::byte_source::from_string(layer_data)));

    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.artifact_type = "application/vnd.test.artifact";
    m.config = config;
    m.layers = {layer};
    const auto bytes = m.serialize();
    const auto pushed = f(f.repo->push_manifest(m.media_type, bytes, "v1"));
    EXPECT_EQ(pushed.digest, oras::digest::of(bytes));

    const auto resolved = f(f.repo->resolve("v1"));
    EXPECT_EQ(resolved.digest, pushed.digest);
    EXPECT_EQ(resolved.size, pushed.size);
    EXPECT_EQ(resolved.media_type, oras::media_type::image_manifest);
    EXPECT_EQ(f(f.repo->resolve(pushed.digest.str())).digest, pushed.digest);

    const auto fetched = f(f.repo->fetch_manifest("v1"));
    EXPECT_EQ(fetched.bytes, bytes);
    EXPECT_EQ(fetched.desc, pushed);
    EXPECT_EQ(f(f.repo->fetch_manifest(pushed.digest.str())).bytes, bytes);

    f(f.repo->tag("v1", "v2"));
    f(f.repo->push_manifest(m.media_type, bytes, "latest"));
    auto tags = f(f.repo->tags());
    std::sort(tags.begin(), tags.end());
    EXPECT_EQ(tags, (std::vector<std::string>{"latest", "v1", "v2"}));

    // The completion-token forms.
    auto fut = f.repo->async_fetch_manifest("v2", asio::use_future);
    f.io.restart();
    f.io.run();
    EXPECT_EQ(fut.get().desc.digest, pushed.digest);

    f(f.repo->delete_manifest(pushed.digest));
    try {
        f(f.repo->fetch_manifest("v1"));
        ADD_FAILURE() << "a deleted manifest was fetched";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::not_found) << e.what();
        ASSERT_FALSE(e.diag().errors.empty());
        EXPECT_EQ(e.diag().errors[0].code, "MANIFEST_UNKNOWN");
        EXPECT_EQ(e.diag().status, 404u);
    }
}

TEST(repository, manifest_round_trip_anonymous) {
    registry_process reg;
    manifest_round_trip(reg, false);
}

TEST(repository, manifest_round_trip_with_tokens) {
    registry_process reg({.auth = auth_mode::token});
    manifest_round_trip(reg, true);
}

TEST(repository, several_tags_at_once_and_tag_deletion_unsupported) {
    registry_process reg;
    fixture f(reg, "multi");
    f(f.repo->push_blob(oras::empty_json_descriptor(), oras::byte_source::from_string("{}")));
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.artifact_type = "application/vnd.test";
    m.config = oras::empty_json_descriptor();
    m.layers = {oras::empty_json_descriptor()};
    const auto d = f(f.repo->push_manifest_tags(m.media_type, m.serialize(), {"a", "b", "c"}));
    auto tags = f(f.repo->tags());
    std::sort(tags.begin(), tags.end());
    EXPECT_EQ(tags, (std::vector<std::string>{"a", "b", "c"}));
    for (const auto* t : {"a", "b", "c"}) {
        EXPECT_EQ(f(f.repo->resolve(t)).digest, d.digest);
    }
    try {
        f(f.repo->delete_tag("a"));
        ADD_FAILURE() << "distribution deleted a tag";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::unsupported) << e.what();
        EXPECT_NE(std::string(e.what()).find("by digest"), std::string::npos) << e.what();
    }
}

TEST(registry, ping_and_a_paginated_catalog) {
    registry_process reg({.auth = auth_mode::token});
    fixture f(reg, "unused", true);
    oras::registry::registry r(*f.auth, reg.host(), {.page_size = 2});
    f(r.ping());
    for (const auto* name : {"cat/a", "cat/b", "cat/c", "cat/d", "cat/e"}) {
        auto repo = r.repo(name);
        f(repo.push_blob(oras::empty_json_descriptor(), oras::byte_source::from_string("{}")));
    }
    f.auth->http().close_idle();
    const auto before = f.auth->http().stats().requests_sent;
    const auto names = f(r.catalog());
    EXPECT_EQ(names, (std::vector<std::string>{"cat/a", "cat/b", "cat/c", "cat/d", "cat/e"}));
    EXPECT_GE(f.auth->http().stats().requests_sent - before, 3u);  // pages of two

    // Without credentials the token service refuses: a clear error, not a hang or a 401 body.
    fixture anonymous(reg, "unused");
    oras::registry::registry closed(*anonymous.auth, reg.host());
    try {
        anonymous(closed.ping());
        ADD_FAILURE() << "an anonymous ping passed";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::unauthorized) << e.what();
    }
}

TEST(registry, ping_and_catalog_own_their_state) {
    registry_process reg;
    fixture f(reg, "owned/one");
    f(f.repo->push_blob(oras::empty_json_descriptor(), oras::byte_source::from_string("{}")));
    // Started from registry objects gone before the io context first runs them.
    std::future<void> pinged;
    std::future<std::vector<std::string>> listed;
    asio::awaitable<void> ping_later;
    {
        oras::registry::registry gone(*f.auth, reg.host());
        pinged = gone.async_ping(asio::use_future);
        listed = gone.async_catalog(asio::use_future);
        ping_later = gone.ping();
    }
    f.io.restart();
    f.io.run();
    pinged.get();
    EXPECT_EQ(listed.get(), std::vector<std::string>{"owned/one"});
    f(std::move(ping_later));
    // The default token hands back the awaitable, to be co_awaited.
    const auto awaited = [&]() -> asio::awaitable<std::vector<std::string>> {
        oras::registry::registry r(*f.auth, reg.host());
        co_await r.async_ping();
        co_return co_await r.async_catalog();
    };
    EXPECT_EQ(f(awaited()), std::vector<std::string>{"owned/one"});
}

TEST(repository, every_operation_has_a_completion_token_form_that_owns_its_state) {
    registry_process reg;
    fixture f(reg, "tokens");
    const std::string data = "completion tokens";
    const auto blob = describe(data);

    // Deferred operations made from a repository that is gone before they start: each holds
    // its own copy of the repository and of its arguments.
    auto push = [&] {
        oras::registry::repository temporary(*f.auth, reg.host(), "tokens");
        return temporary.async_push_blob(blob, oras::byte_source::from_string(data), false);
    }();
    auto exists = [&] {
        oras::registry::repository temporary(*f.auth, reg.host(), "tokens");
        return temporary.async_blob_exists(blob.digest);
    }();
    const auto both = [&]() -> asio::awaitable<void> {
        co_await std::move(push);
        const auto found = co_await std::move(exists);
        EXPECT_TRUE(found.has_value());
    };
    f(both());

    // Futures and callbacks.
    oras::image_manifest m;
    m.media_type = std::string(oras::media_type::image_manifest);
    m.config = oras::empty_json_descriptor();
    m.layers = {blob};
    auto config = f.repo->async_push_blob(oras::empty_json_descriptor(),
                                          oras::byte_source::from_string("{}"), asio::use_future);
    f.io.restart();
    f.io.run();
    config.get();
    auto pushed = f.repo->async_push_manifest_tags(
        m.media_type, m.serialize(), std::vector<std::string>{"a", "b"}, asio::use_future);
    f.io.restart();
    f.io.run();
    const auto manifest = pushed.get();
    std::optional<oras::descriptor> resolved;
    f.repo->async_resolve("b", [&](std::exception_ptr e, oras::descriptor d) {
        EXPECT_FALSE(e);
        resolved = d;
    });
    auto reader = f.repo->async_open_blob(blob, asio::use_future);
    auto reader_from = f.repo->async_open_blob_from(blob, 11, asio::use_future);
    auto range = std::make_shared<std::string>();
    f.repo->async_fetch_blob_range(
        blob.digest, 11, 6,
        [range](std::span<const std::byte> b) -> asio::awaitable<void> {
            range->append(reinterpret_cast<const char*>(b.data()), b.size());
            co_return;
        },
        asio::use_future);
    f.io.restart();
    f.io.run();
    ASSERT_TRUE(resolved);
    EXPECT_EQ(resolved->digest, manifest.digest);
    EXPECT_EQ(*range, "tokens");
    auto r = reader.get();
    EXPECT_TRUE(r.verified());
    auto from = reader_from.get();
    ASSERT_TRUE(from.length());
    EXPECT_EQ(*from.length(), static_cast<std::uint64_t>(blob.size) - 11);

    // One after the other: listed while "c" is being tagged, the list may hold it or not.
    auto tags = f.repo->async_tags(asio::use_future);
    f.io.restart();
    f.io.run();
    auto tagged = f.repo->async_tag("a", "c", asio::use_future);
    f.io.restart();
    f.io.run();
    auto listed = tags.get();
    std::sort(listed.begin(), listed.end());
    EXPECT_EQ(listed, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(tagged.get().digest, manifest.digest);

    auto deleted = f.repo->async_delete_manifest(manifest.digest, asio::use_future);
    f.io.restart();
    f.io.run();
    deleted.get();
    EXPECT_EQ(error_of([&] { f(f.repo->resolve("a")); }), oras::errc::not_found);
    // Failures reach the handler as the exception.
    auto missing = f.repo->async_fetch_manifest("nope", asio::use_future);
    f.io.restart();
    f.io.run();
    EXPECT_THROW(missing.get(), oras::error);
}

TEST(repository, bad_references_are_refused_before_any_request) {
    registry_process reg;
    fixture f(reg, "app");
    EXPECT_EQ(error_of([&] { f(f.repo->fetch_manifest("bad tag!")); }),
              oras::errc::invalid_reference);
    EXPECT_EQ(error_of([&] { f(f.repo->resolve("sha256:nothex")); }), oras::errc::invalid_digest);
    EXPECT_THROW(oras::registry::repository(*f.auth, reg.host(), "Upper/Case"), oras::error);
    EXPECT_THROW(oras::registry::repository(*f.auth, "bad host!", "app"), oras::error);
}

}  // namespace
