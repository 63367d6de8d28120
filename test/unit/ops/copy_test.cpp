// Graph copy between in-memory targets, no sockets: the verified reader, the order bytes land
// in (blobs, then manifests by height, the root tag last), Docker types and opaque media
// types, the concurrency budget, a failed copy rerun, depth limits.
#include <oras/content/blob_cache.hpp>
#include <oras/content/file_store.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/content/oci_layout.hpp>
#include <oras/content/target.hpp>
#include <oras/digest.hpp>
#include <oras/error.hpp>
#include <oras/image_index.hpp>
#include <oras/image_manifest.hpp>
#include <oras/media_type.hpp>
#include <oras/ops/copy.hpp>
#include <oras/ops/copy_context.hpp>
#include <oras/ops/copy_tags.hpp>
#include <oras/ops/pull.hpp>
#include <oras/test/files.hpp>
#include <oras/test/forwarding.hpp>
#include <oras/test/run.hpp>
#include <oras/test/sources.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using oras::byte_source;
using oras::descriptor;
using oras::test::describe;
using oras::test::error_of;

/// Reads `r` to its end in slices of `slice` bytes.
asio::awaitable<std::string> read_all(byte_source r, std::size_t slice) {
    std::string out;
    std::vector<std::byte> buf(slice);
    for (;;) {
        const auto n = co_await r.read(std::span(buf));
        if (n == 0) {
            co_return out;
        }
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
}

// ---------------------------------------------------------------------------------------------
// content::verified

TEST(verified_reader, hands_out_matching_content_and_rewinds) {
    asio::io_context io;
    const std::string data = oras::test::pattern(10'000, 3);
    auto r = oras::content::verified(byte_source::from_string(data), describe(data, "x/y"));
    EXPECT_TRUE(r.verified());
    EXPECT_FALSE(r.file().has_value());
    EXPECT_EQ(oras::test::run(io, read_all(r, 999)), data);
    ASSERT_TRUE(r.replayable());
    r.rewind();
    EXPECT_EQ(oras::test::run(io, read_all(r, 4096)), data);
}

TEST(verified_reader, never_hands_out_the_end_of_wrong_content) {
    asio::io_context io;
    const std::string data = oras::test::pattern(3000, 4);
    auto other = data;
    other[2999] ^= 1;
    auto r = oras::content::verified(byte_source::from_string(other), describe(data, "x/y"));
    std::vector<std::byte> buf(1000);
    EXPECT_EQ(oras::test::run(io, r.read(std::span(buf))), 1000u);
    EXPECT_EQ(oras::test::run(io, r.read(std::span(buf))), 1000u);
    // The last 1000 bytes complete the content: the digest is checked before they are given.
    EXPECT_EQ(error_of([&] { oras::test::run(io, r.read(std::span(buf))); }),
              oras::errc::digest_mismatch);
}

TEST(verified_reader, refuses_short_and_long_content) {
    asio::io_context io;
    const std::string data = "0123456789";
    auto cut = oras::test::unsized(byte_source::from_string("01234"));
    auto shorter = oras::content::verified(cut, describe(data, "x/y"));
    EXPECT_EQ(error_of([&] { oras::test::run(io, read_all(shorter, 4)); }),
              oras::errc::size_mismatch);
    auto longer = oras::test::unsized(byte_source::from_string("0123456789AB"));
    auto checked = oras::content::verified(longer, describe(data, "x/y"));
    EXPECT_EQ(error_of([&] { oras::test::run(io, read_all(checked, 64)); }),
              oras::errc::size_mismatch);
    // A length known ahead that differs is refused at once.
    EXPECT_EQ(error_of([&] {
                  oras::content::verified(byte_source::from_string("abc"), describe(data, "x/y"));
              }),
              oras::errc::size_mismatch);
}

// ---------------------------------------------------------------------------------------------
// A memory store that records what reaches it, and can be told to fail.

class recording_store final : public oras::content::target {
  public:
    asio::awaitable<bool> exists(descriptor d) override {
        ++exists_checks;
        co_return co_await inner.exists(std::move(d));
    }
    asio::awaitable<byte_source> open(descriptor d) override {
        ++opens[d.digest.str()];
        co_return co_await inner.open(std::move(d));
    }
    asio::awaitable<void> push(descriptor d, byte_source src) override {
        ++in_flight;
        max_in_flight = std::max(max_in_flight, in_flight);
        // Let other transfers run, as a network would.
        const auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 3; ++i) {
            co_await asio::post(ex, asio::use_awaitable);
        }
        --in_flight;
        if (fail_at != 0 && ++pushes == fail_at) {
            throw oras::error(oras::errc::unavailable, "injected failure");
        }
        co_await inner.push(d, std::move(src));
        log.push_back("push " + d.digest.str());
    }
    asio::awaitable<descriptor> push_unknown(std::string mt, byte_source src) override {
        co_return co_await inner.push_unknown(std::move(mt), std::move(src));
    }
    asio::awaitable<descriptor> resolve(std::string ref) override {
        co_return co_await inner.resolve(std::move(ref));
    }
    asio::awaitable<void> tag(descriptor d, std::string ref) override {
        co_await inner.tag(d, ref);
        log.push_back("tag " + ref);
    }

    /// Position of `entry` in the log (log.size() if absent).
    std::size_t at(const std::string& entry) const {
        return static_cast<std::size_t>(std::find(log.begin(), log.end(), entry) - log.begin());
    }

    oras::content::memory_store inner;
    std::vector<std::string> log;
    std::map<std::string, int> opens;  ///< by digest
    std::size_t exists_checks = 0;
    int in_flight = 0;
    int max_in_flight = 0;
    int pushes = 0;
    int fail_at = 0;  // the n-th push fails (1-based); 0: none
};

struct graph {
    asio::io_context io;
    oras::content::memory_store src;

    template <class T>
    T operator()(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }
    descriptor put(std::string data, std::string media_type) {
        auto d = describe(data, std::move(media_type));
        (*this)(src.push(d, byte_source::from_string(std::move(data))));
        return d;
    }
    descriptor manifest(const std::string& seed, std::size_t layers,
                        std::string media_type = std::string(oras::media_type::image_manifest),
                        std::string layer_type = std::string(oras::media_type::image_layer)) {
        oras::image_manifest m;
        m.media_type = media_type;
        m.config =
            put(R"({"seed":")" + seed + "\"}", media_type == oras::media_type::docker_manifest
                                                   ? std::string(oras::media_type::docker_config)
                                                   : "application/vnd.test.config+json");
        for (std::size_t i = 0; i < layers; ++i) {
            m.layers.push_back(put(seed + " layer " + std::to_string(i), layer_type));
        }
        return put(m.serialize(), media_type);
    }
    /// A signature-like artifact whose subject is `subject`, its layer holding `text`.
    descriptor referrer(const descriptor& subject, const std::string& text) {
        oras::image_manifest sig;
        sig.artifact_type = "doc/sig";
        sig.config = put("{}", "application/vnd.oci.empty.v1+json");
        sig.layers = {put(text, "application/octet-stream")};
        sig.subject = subject;
        return put(sig.serialize(), std::string(oras::media_type::image_manifest));
    }
    descriptor index(std::vector<descriptor> children,
                     std::string media_type = std::string(oras::media_type::image_index)) {
        oras::image_index idx;
        idx.media_type = media_type;
        idx.manifests = std::move(children);
        return put(idx.serialize(), media_type);
    }
};

TEST(copy, blobs_land_before_manifests_children_before_their_index_and_the_tag_last) {
    graph g;
    const auto a = g.manifest("a", 2);
    const auto b = g.manifest("b", 3);
    const auto root = g.index({a, b});
    g(g.src.tag(root, "v1"));
    recording_store dst;
    const auto r = g(oras::ops::copy(g.src, "v1", dst, {}));
    EXPECT_EQ(r.nodes, 1u + 2u + 2u + 3u + 2u /*configs*/);
    EXPECT_EQ(r.copied, r.nodes);
    ASSERT_EQ(dst.log.back(), "tag v1");
    EXPECT_EQ(dst.at("push " + root.digest.str()), dst.log.size() - 2);
    for (const auto& m : {a, b}) {
        const auto mi = dst.at("push " + m.digest.str());
        EXPECT_LT(mi, dst.at("push " + root.digest.str()));
        const auto parsed =
            oras::image_manifest::parse(g(oras::content::fetch_all(g.src, m))).value();
        EXPECT_LT(dst.at("push " + parsed.config.digest.str()), mi);
        for (const auto& l : parsed.layers) {
            EXPECT_LT(dst.at("push " + l.digest.str()), mi) << l.digest.str();
        }
    }
}

TEST(copy, docker_manifest_lists_and_unknown_media_types) {
    graph g;
    const auto d1 = g.manifest("docker1", 1, std::string(oras::media_type::docker_manifest),
                               std::string(oras::media_type::docker_layer_gzip));
    const auto d2 = g.manifest("docker2", 2, std::string(oras::media_type::docker_manifest),
                               "application/x-unheard-of");
    // An index entry of a type this client does not parse travels as an opaque blob.
    const auto opaque = g.put("opaque bytes", "application/vnd.example.thing+json");
    const auto list =
        g.index({d1, d2, opaque}, std::string(oras::media_type::docker_manifest_list));
    recording_store dst;
    oras::ops::copy_options o;
    o.tags = {"multi"};
    const auto r = g(oras::ops::copy(g.src, list.digest.str(), dst, o));
    EXPECT_EQ(r.root.digest, list.digest);
    EXPECT_EQ(r.nodes, 1u + 2u + 2u + 3u + 1u);
    for (const auto& d : {d1, d2, opaque, list}) {
        EXPECT_TRUE(g(dst.inner.exists(d))) << d.digest.str();
    }
    EXPECT_EQ(g(dst.resolve("multi")).digest, list.digest);
}

TEST(copy, one_budget_for_blob_transfers) {
    graph g;
    const auto m = g.manifest("wide", 12);
    g(g.src.tag(m, "v1"));
    recording_store dst;
    oras::ops::copy_options o;
    o.concurrency = 3;
    g(oras::ops::copy(g.src, "v1", dst, o));
    EXPECT_EQ(dst.max_in_flight, 3);
}

/// A source that takes its time before answering `resolve`, and fails the blob `broken` after a
/// while (a blob its registry lost, say).
class slow_source final : public oras::test::forwarding {
  public:
    slow_source(oras::content::memory_store& to, std::chrono::milliseconds resolve_delay,
                std::optional<oras::digest> broken)
        : forwarding(to), resolve_delay_(resolve_delay), broken_(std::move(broken)) {}
    asio::awaitable<descriptor> resolve(std::string ref) override {
        asio::steady_timer t(co_await asio::this_coro::executor, resolve_delay_);
        co_await t.async_wait(asio::use_awaitable);
        co_return co_await to_.resolve(std::move(ref));
    }
    asio::awaitable<byte_source> open(descriptor d) override {
        if (broken_ && d.digest == *broken_) {
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
            co_await t.async_wait(asio::use_awaitable);
            throw oras::error(oras::errc::not_found, "this source lost the blob");
        }
        co_return co_await to_.open(std::move(d));
    }

  private:
    std::chrono::milliseconds resolve_delay_;
    std::optional<oras::digest> broken_;
};

// Two copies in one context need the same blob in the same destination; the one that moves it
// fails for its own source's sake. The one that waited moves it from its own source instead of
// failing with the other's error (a mirror lost artifacts to this).
TEST(copy, a_blob_another_copy_failed_to_move_is_moved_from_this_copys_source) {
    asio::io_context io;
    const std::string shared = "a blob both artifacts hold";
    const auto blob = describe(shared, std::string(oras::media_type::image_layer));
    oras::content::memory_store a_store, b_store, dst;
    const auto put = [&](oras::content::memory_store& store, const std::string& name) {
        oras::test::run(io, store.push(blob, byte_source::from_string(shared)));
        const auto config = describe("{}", "application/vnd.test.config+json");
        oras::test::run(io, store.push(config, byte_source::from_string("{}")));
        oras::image_manifest m;
        m.config = config;
        m.layers = {blob};
        m.annotations = {{"org.example.name", name}};
        const auto bytes = m.serialize();
        const auto d = describe(bytes, std::string(oras::media_type::image_manifest));
        oras::test::run(io, store.push(d, byte_source::from_string(bytes)));
        oras::test::run(io, store.tag(d, "v1"));
    };
    put(a_store, "a");
    put(b_store, "b");
    slow_source a(a_store, std::chrono::milliseconds(0), blob.digest);
    slow_source b(b_store, std::chrono::milliseconds(10), std::nullopt);  // arrives second
    const auto context = std::make_shared<oras::ops::copy_context>(8);
    std::vector<std::exception_ptr> failed(2);
    std::vector<bool> done(2, false);
    for (std::size_t i = 0; i < 2; ++i) {
        oras::ops::copy_options o;
        o.context = context;
        auto run = oras::ops::copy(i == 0 ? static_cast<oras::content::target&>(a) : b, "v1", dst,
                                   std::move(o));
        asio::co_spawn(io, std::move(run), [&, i](std::exception_ptr e, oras::ops::copy_result) {
            failed[i] = e;
            done[i] = true;
        });
    }
    io.restart();  // run to its end by the pushes above
    io.run();
    ASSERT_TRUE(done[0] && done[1]);
    EXPECT_TRUE(failed[0]);  // its own source's failure
    EXPECT_FALSE(failed[1]) << [&] {
        try {
            std::rethrow_exception(failed[1]);
        } catch (const std::exception& e) {
            return std::string(e.what());
        }
    }();
    EXPECT_TRUE(oras::test::run(io, dst.exists(blob)));
}

TEST(copy, a_failed_copy_run_again_moves_only_what_is_missing) {
    graph g;
    const auto m = g.manifest("resume", 6);
    g(g.src.tag(m, "v1"));
    recording_store dst;
    dst.fail_at = 4;
    oras::ops::copy_options o;
    o.concurrency = 1;
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(g.src, "v1", dst, o)); }), oras::errc::unavailable);
    EXPECT_FALSE(g(dst.inner.exists(m)));  // no manifest over a failed blob
    EXPECT_EQ(error_of([&] { g(dst.resolve("v1")); }), oras::errc::not_found);
    const auto landed = dst.log.size();
    EXPECT_EQ(landed, 3u);

    dst.fail_at = 0;
    dst.log.clear();
    const auto r = g(oras::ops::copy(g.src, "v1", dst, o));
    EXPECT_EQ(r.skipped, 3u);
    EXPECT_EQ(r.copied, 7u + 1u - 3u);  // config + 6 layers + manifest, less what landed
    EXPECT_EQ(g(dst.resolve("v1")).digest, m.digest);

    // Once more: the tag already names the root, so nothing else is looked at.
    dst.log.clear();
    dst.exists_checks = 0;
    const auto again = g(oras::ops::copy(g.src, "v1", dst, o));
    EXPECT_EQ(again.copied, 0u);
    EXPECT_EQ(dst.exists_checks, 0u);
    EXPECT_TRUE(dst.log.empty());
}

using oras::test::forwarding;

/// A memory store serving blobs from an offset, as a registry serves ranges.
class ranged_source final : public forwarding, public oras::content::ranged_opener {
  public:
    using forwarding::forwarding;
    asio::awaitable<byte_source> open_from(descriptor d, std::uint64_t offset) override {
        ++ranged_opens;
        if (refuse_with) {
            throw oras::error(*refuse_with, "the source will not continue from this byte");
        }
        auto bytes = co_await oras::content::fetch_all(to_, d);
        co_return byte_source::from_string(bytes.substr(static_cast<std::size_t>(offset)));
    }
    int ranged_opens = 0;
    std::optional<oras::errc> refuse_with;  ///< every ranged open fails with this
};

/// A destination that says an earlier process left the first byte of every layer it lacks,
/// and whose `push_rest` then fails with `fail_with`: the partial file taken by another
/// process (invalid_argument) or found damaged (digest_mismatch) since it was measured.
class taken_partial final : public forwarding, public oras::content::resumable {
  public:
    using forwarding::forwarding;
    std::uint64_t partial_size(const descriptor& d) override {
        return d.media_type == oras::media_type::image_layer ? 1 : 0;
    }
    asio::awaitable<void> push_rest(descriptor, std::uint64_t, byte_source) override {
        ++rests;
        throw oras::error(fail_with, "the partial file changed since it was measured");
        co_return;
    }
    oras::errc fail_with = oras::errc::invalid_argument;
    int rests = 0;
};

TEST(copy, a_partial_file_taken_or_damaged_after_it_was_measured_is_copied_whole) {
    for (const auto code :
         {oras::errc::invalid_argument, oras::errc::digest_mismatch, oras::errc::size_mismatch}) {
        graph g;
        const auto m = g.manifest("taken", 3);
        ranged_source src(g.src);
        oras::content::memory_store out;
        taken_partial dst(out);
        dst.fail_with = code;
        const auto r = g(oras::ops::copy(src, m.digest.str(), dst, {}));
        EXPECT_EQ(src.ranged_opens, 3);
        EXPECT_EQ(dst.rests, 3);
        EXPECT_EQ(r.resumed, 0u);
        EXPECT_EQ(r.blobs_copied, 4u);  // the layers whole, and the config
        EXPECT_EQ(g(oras::content::fetch_all(out, m)), g(oras::content::fetch_all(g.src, m)));
    }
    // Any other failure is the copy's.
    graph g;
    const auto m = g.manifest("broken", 1);
    ranged_source src(g.src);
    oras::content::memory_store out;
    taken_partial dst(out);
    dst.fail_with = oras::errc::unavailable;
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(src, m.digest.str(), dst, {})); }),
              oras::errc::unavailable);
    EXPECT_FALSE(g(out.exists(m)));
}

TEST(copy, a_source_that_will_not_continue_a_partial_file_sends_it_whole) {
    // A registry answering the resume with a Content-Range elsewhere (invalid_response), a
    // 416 or a proxy refusing ranges: the blob comes whole, or every run would fail the same.
    for (const auto code : {oras::errc::invalid_response, oras::errc::unsupported,
                            oras::errc::denied, oras::errc::not_found}) {
        graph g;
        const auto m = g.manifest("refused", 2);
        ranged_source src(g.src);
        src.refuse_with = code;
        oras::content::memory_store out;
        taken_partial dst(out);
        const auto r = g(oras::ops::copy(src, m.digest.str(), dst, {}));
        EXPECT_EQ(src.ranged_opens, 2);
        EXPECT_EQ(dst.rests, 0);
        EXPECT_EQ(r.resumed, 0u);
        EXPECT_EQ(r.blobs_copied, 3u);
        EXPECT_EQ(g(oras::content::fetch_all(out, m)), g(oras::content::fetch_all(g.src, m)));
    }
    // A failure the source might not repeat, or a cancellation, is the copy's.
    for (const auto code : {oras::errc::unavailable, oras::errc::cancelled}) {
        graph g;
        const auto m = g.manifest("transient", 1);
        ranged_source src(g.src);
        src.refuse_with = code;
        oras::content::memory_store out;
        taken_partial dst(out);
        EXPECT_EQ(error_of([&] { g(oras::ops::copy(src, m.digest.str(), dst, {})); }), code);
        EXPECT_FALSE(g(out.exists(m)));
    }
}

TEST(copy, a_cached_blob_is_not_resumed_from_the_source) {
    graph g;
    const auto m = g.manifest("cached-partial", 2);
    oras::test::temp_dir dir;
    oras::ops::copy_options o;
    o.cache = std::make_shared<oras::content::blob_cache>(dir.path());
    oras::content::memory_store first;
    g(oras::ops::copy(g.src, m.digest.str(), first, o));

    ranged_source src(g.src);
    oras::content::memory_store out;
    taken_partial dst(out);
    const auto r = g(oras::ops::copy(src, m.digest.str(), dst, o));
    EXPECT_EQ(src.ranged_opens, 0);
    EXPECT_EQ(dst.rests, 0);
    EXPECT_EQ(r.cached, 3u);
    EXPECT_EQ(g(oras::content::fetch_all(out, m)), g(oras::content::fetch_all(g.src, m)));
}

TEST(copy, a_corrupted_layout_blob_fails_with_nothing_tagged) {
    graph g;
    const auto m = g.manifest("layout-corrupt", 2);
    g(g.src.tag(m, "v1"));
    oras::test::temp_dir tmp;
    oras::content::oci_layout src(tmp.path() / "src");
    g(oras::ops::copy(g.src, "v1", src, {}));
    const auto layer =
        oras::image_manifest::parse(g(oras::content::fetch_all(src, m))).value().layers[1];
    auto bytes = oras::test::read_file(src.blob_path(layer.digest));
    bytes[3] = static_cast<char>(bytes[3] ^ 1);
    oras::test::write_file(src.blob_path(layer.digest), bytes);

    oras::content::oci_layout dst(tmp.path() / "dst");
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(src, "v1", dst, {})); }),
              oras::errc::digest_mismatch);
    EXPECT_FALSE(g(dst.exists(layer)));
    EXPECT_FALSE(g(dst.exists(m)));
    EXPECT_EQ(error_of([&] { g(dst.resolve("v1")); }), oras::errc::not_found);
}

TEST(copy, hostile_depth_and_bad_options_are_refused) {
    graph g;
    auto d = g.manifest("leaf", 1);
    for (int i = 0; i < 6; ++i) {
        d = g.index({d});
    }
    recording_store dst;
    oras::ops::copy_options o;
    o.max_depth = 4;
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(g.src, d.digest.str(), dst, o)); }),
              oras::errc::invalid_manifest);
    EXPECT_TRUE(dst.log.empty());

    o = {};
    o.recursive = true;  // a memory store cannot list referrers
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(g.src, d.digest.str(), dst, o)); }),
              oras::errc::unsupported);
    o = {};
    o.tags = {"not a tag"};
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(g.src, d.digest.str(), dst, o)); }),
              oras::errc::invalid_reference);
    EXPECT_EQ(error_of([&] { g(oras::ops::copy(g.src, "missing", dst, {})); }),
              oras::errc::not_found);
}

TEST(copy, platform_strings) {
    const auto p = oras::ops::parse_platform("linux/arm64/v8").value();
    EXPECT_EQ(p.os, "linux");
    EXPECT_EQ(p.architecture, "arm64");
    EXPECT_EQ(p.variant, "v8");
    // As oras's option.Platform: os[/arch[/variant]][:os_version], the architecture left out
    // this machine's.
    const auto host = oras::ops::host_architecture();
    EXPECT_FALSE(host.empty());
    const auto os_only = oras::ops::parse_platform("linux").value();
    EXPECT_EQ(os_only.os, "linux");
    EXPECT_EQ(os_only.architecture, host);
    const auto windows = oras::ops::parse_platform("windows/amd64:10.0.17763.1234").value();
    EXPECT_EQ(windows.os, "windows");
    EXPECT_EQ(windows.architecture, "amd64");
    EXPECT_EQ(windows.os_version, "10.0.17763.1234");
    EXPECT_EQ(oras::ops::to_string(windows), "windows/amd64:10.0.17763.1234");
    EXPECT_EQ(oras::ops::parse_platform("linux/arm/v5:x").value().variant, "v5");
    EXPECT_EQ(oras::ops::parse_platform("linux:6.1").value().architecture, host);
    // As Go's strings.Cut and strings.Split: an empty variant, an OS version holding a colon.
    EXPECT_EQ(oras::ops::parse_platform("linux/arm64/").value().variant, "");
    EXPECT_EQ(oras::ops::parse_platform("a:b:c").value().os_version, "b:c");
    for (const auto* bad : {"", "linux/", "/amd64", "a/b/c/d", "linux//v8", ":1.0", "/"}) {
        EXPECT_FALSE(oras::ops::parse_platform(bad).has_value()) << bad;
    }
    oras::platform have{"arm64", "linux", "", {}, "v8"};
    EXPECT_TRUE(oras::ops::platform_matches(have, {"arm64", "linux", "", {}, ""}));
    EXPECT_TRUE(oras::ops::platform_matches(have, {"arm64", "linux", "", {}, "v8"}));
    EXPECT_FALSE(oras::ops::platform_matches(have, {"arm64", "linux", "", {}, "v7"}));
    EXPECT_FALSE(oras::ops::platform_matches(have, {"amd64", "linux", "", {}, ""}));
    // The OS version and features only when wanted, as oras-go's platform.Match.
    oras::platform win{"amd64", "windows", "10.0.1", {"win32k", "x"}, ""};
    EXPECT_TRUE(oras::ops::platform_matches(win, {"amd64", "windows", "", {}, ""}));
    EXPECT_TRUE(oras::ops::platform_matches(win, {"amd64", "windows", "10.0.1", {"x"}, ""}));
    EXPECT_FALSE(oras::ops::platform_matches(win, {"amd64", "windows", "10.0.2", {}, ""}));
    EXPECT_FALSE(oras::ops::platform_matches(win, {"amd64", "windows", "", {"y"}, ""}));
    // A config read as Go reads it into a platform.
    const auto from = oras::ops::platform_of_config(
        R"({"Architecture":"arm","OS":"linux","os.version":"1","variant":"v5","x":1})");
    ASSERT_TRUE(from);
    EXPECT_EQ(oras::ops::to_string(*from), "linux/arm/v5:1");
    EXPECT_FALSE(oras::ops::platform_of_config(R"({"architecture":5,"os":"linux"})"));
    EXPECT_FALSE(oras::ops::platform_of_config("[]"));
    EXPECT_FALSE(oras::ops::platform_of_config("{}"));
}

TEST(pull, platform_selection_reads_each_manifest_once) {
    asio::io_context io;
    recording_store src;
    const auto put = [&](std::string data, std::string media_type) {
        auto d = describe(data, std::move(media_type));
        oras::test::run(io, src.inner.push(d, byte_source::from_string(std::move(data))));
        return d;
    };
    oras::image_manifest m;
    m.config = put(R"({"os":"linux","architecture":"arm64"})",
                   std::string(oras::media_type::image_config));
    auto layer = put("file bytes\n", std::string(oras::media_type::image_layer));
    layer.annotations["org.opencontainers.image.title"] = "a.txt";
    m.layers.push_back(layer);
    const auto root = put(m.serialize(), std::string(oras::media_type::image_manifest));
    const auto other = put(R"({"os":"linux","architecture":"amd64"})",
                           std::string(oras::media_type::image_config));
    oras::image_manifest m2 = m;
    m2.config = other;
    const auto root2 = put(m2.serialize(), std::string(oras::media_type::image_manifest));
    oras::image_index idx;
    idx.manifests = {root2, root};
    idx.manifests[0].platform = oras::platform{"amd64", "linux", "", {}, ""};
    idx.manifests[1].platform = oras::platform{"arm64", "linux", "", {}, ""};
    const auto index = put(idx.serialize(), std::string(oras::media_type::image_index));

    for (const auto& start : {root, index}) {
        src.opens.clear();
        oras::test::temp_dir out;
        oras::ops::pull_options o;
        o.output = out.path();
        o.platform = oras::platform{"arm64", "linux", "", {}, ""};
        const auto r = oras::test::run(io, oras::ops::pull(src, start.digest.str(), std::move(o)));
        EXPECT_EQ(r.manifest.digest, root.digest);
        ASSERT_EQ(r.files.size(), 1u);
        EXPECT_EQ(oras::test::read_file(out.path() / "a.txt"), "file bytes\n");
        for (const auto& [d, n] : src.opens) {
            if (d != m.config.digest.str()) {  // the config is not what this is about
                EXPECT_EQ(n, 1) << d;
            }
        }
        EXPECT_EQ(src.opens[root.digest.str()], 1);
        EXPECT_EQ(src.opens.count(root2.digest.str()), 0u);  // the other platform's manifest
    }
}

}  // namespace

TEST(copy, blobs_in_the_cache_are_not_read_from_the_source) {
    graph g;
    const auto root = g.manifest("cached", 3);
    g(g.src.tag(root, "v1"));
    recording_store src;
    g(oras::ops::copy(g.src, "v1", src, {}));
    oras::test::temp_dir dir;
    oras::ops::copy_options o;
    o.cache = std::make_shared<oras::content::blob_cache>(dir.path());
    const auto blob_opens = [&src, &root] {
        int n = 0;
        for (const auto& [digest, count] : src.opens) {
            n += digest == root.digest.str() ? 0 : count;
        }
        return n;
    };

    src.opens.clear();
    recording_store first;
    const auto r1 = g(oras::ops::copy(src, "v1", first, o));
    EXPECT_EQ(r1.cached, 0u);
    EXPECT_EQ(blob_opens(), 4);  // three layers and the config
    EXPECT_EQ(o.cache->stats().stored, 4u);

    src.opens.clear();
    recording_store second;
    const auto r2 = g(oras::ops::copy(src, "v1", second, o));
    EXPECT_EQ(r2.cached, 4u);
    EXPECT_EQ(blob_opens(), 0);
    EXPECT_EQ(r2.blobs_copied, 4u);
    EXPECT_EQ(g(oras::content::fetch_all(second, root)), g(oras::content::fetch_all(g.src, root)));
    EXPECT_TRUE(g(second.exists(root)));
}

TEST(copy, a_cache_entry_damaged_on_disk_is_dropped_and_the_blob_read_from_the_source) {
    graph g;
    const auto root = g.manifest("damaged", 2);
    g(g.src.tag(root, "v1"));
    recording_store src;
    g(oras::ops::copy(g.src, "v1", src, {}));
    oras::test::temp_dir dir;
    oras::ops::copy_options o;
    o.cache = std::make_shared<oras::content::blob_cache>(dir.path());
    recording_store first;
    g(oras::ops::copy(src, "v1", first, o));

    // Every entry keeps its size and loses its last byte: found only as it is read.
    std::size_t damaged = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path() / "blobs")) {
        if (e.is_regular_file() && e.file_size() > 0) {
            auto bytes = oras::test::read_file(e.path());
            bytes.back() = static_cast<char>(bytes.back() ^ 1);
            oras::test::write_file(e.path(), bytes);
            ++damaged;
        }
    }
    ASSERT_EQ(damaged, 3u);  // two layers and the config

    src.opens.clear();
    recording_store second;
    const auto r = g(oras::ops::copy(src, "v1", second, o));
    EXPECT_EQ(r.cached, 0u);
    EXPECT_EQ(r.blobs_copied, 3u);
    EXPECT_EQ(o.cache->stats().corrupt, 3u);
    EXPECT_EQ(g(oras::content::fetch_all(second, root)), g(oras::content::fetch_all(g.src, root)));
    // Fetched again, the blobs are cached again, whole.
    EXPECT_EQ(o.cache->stats().stored, 3u + 3u);
    recording_store third;
    EXPECT_EQ(g(oras::ops::copy(src, "v1", third, o)).cached, 3u);
}

// A pull killed after it wrote its large files but before its commit put them under their
// titles: the next pull takes them up whole, verifies them, and asks the source for none.
TEST(copy, a_pull_killed_before_its_commit_leaves_large_files_the_next_one_only_verifies) {
    asio::io_context io;
    recording_store src;
    const auto put = [&](std::string data, std::string media_type) {
        auto d = describe(data, std::move(media_type));
        oras::test::run(io, src.inner.push(d, byte_source::from_string(std::move(data))));
        return d;
    };
    const auto size = static_cast<std::size_t>(oras::content::file_store::resume_min_size) + 5;
    oras::image_manifest m;
    m.config = put("{}", "application/vnd.test.config+json");
    std::vector<std::string> contents;
    for (const std::string title : {"one.bin", "sub/two.bin"}) {
        const auto i = static_cast<unsigned>(contents.size());
        contents.push_back(oras::test::pattern(size + i, 40 + i));
        auto layer = put(contents.back(), std::string(oras::media_type::image_layer));
        layer.annotations["org.opencontainers.image.title"] = title;
        m.layers.push_back(layer);
    }
    const auto root = put(m.serialize(), std::string(oras::media_type::image_manifest));
    oras::test::temp_dir out;

    // The killed pull, in a child that ends without a commit or a destructor, as SIGKILL would.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        try {
            asio::io_context child_io;
            auto* files = new oras::content::file_store(out.path(), {.deferred_commit = true});
            oras::test::run(child_io, oras::ops::copy(src.inner, root.digest.str(), *files, {}));
        } catch (...) {
            ::_exit(1);
        }
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(status, 0);
    ASSERT_FALSE(std::filesystem::exists(out.path() / "one.bin"));
    ASSERT_FALSE(std::filesystem::exists(out.path() / "sub/two.bin"));

    oras::ops::pull_options o;
    o.output = out.path();
    const auto r = oras::test::run(io, oras::ops::pull(src, root.digest.str(), std::move(o)));
    EXPECT_EQ(r.resumed, 2u);
    for (const auto& layer : m.layers) {
        EXPECT_EQ(src.opens.count(layer.digest.str()), 0u) << layer.digest.str();
    }
    EXPECT_TRUE(oras::test::read_file(out.path() / "one.bin") == contents[0]);
    EXPECT_TRUE(oras::test::read_file(out.path() / "sub/two.bin") == contents[1]);
    // Nothing else is left: no kept name, no partial file, no owner file.
    std::size_t entries = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(out.path())) {
        EXPECT_FALSE(e.path().filename().string().starts_with(".")) << e.path();
        ++entries;
    }
    EXPECT_EQ(entries, 3u);  // the two files and `sub`
}

// copy_tags (backup, restore): every tag or those named, resolved before anything is copied, a
// blob two tags share moved once, referrers on request, a dry run that touches nothing.
TEST(copy_tags, copies_each_tag_once_with_shared_blobs_moved_once) {
    graph g;
    const auto shared = g.put("one layer for both", std::string(oras::media_type::image_layer));
    oras::image_manifest a;
    a.config = g.put("{}", "application/vnd.test.config+json");
    a.layers = {shared};
    const auto a_desc = g.put(a.serialize(), std::string(oras::media_type::image_manifest));
    oras::image_manifest b = a;
    b.annotations["k"] = "b";
    const auto b_desc = g.put(b.serialize(), std::string(oras::media_type::image_manifest));
    const auto sig_desc = g.referrer(a_desc, "signed");
    oras::test::temp_dir dir;
    oras::content::oci_layout src(dir.path() / "src");
    g(oras::ops::copy(g.src, a_desc.digest.str(), src, {.tags = {"v1"}}));
    g(oras::ops::copy(g.src, b_desc.digest.str(), src, {.tags = {"v2"}}));
    g(oras::ops::copy(g.src, sig_desc.digest.str(), src, {}));

    // Every tag the source lists, with referrers.
    recording_store dst;
    std::vector<std::string> told;
    oras::ops::copy_tags_options o;
    o.referrers = true;
    o.on_tags = [&told](const std::vector<std::string>& tags) { told = tags; };
    auto r = g(oras::ops::copy_tags(src, dst, o));
    EXPECT_EQ(told, (std::vector<std::string>{"v1", "v2"}));
    ASSERT_EQ(r.tags.size(), 2u);
    EXPECT_EQ(r.tags[0].tag, "v1");
    EXPECT_EQ(r.tags[0].root.digest, a_desc.digest);
    EXPECT_EQ(r.tags[0].referrers, 1u);
    EXPECT_EQ(r.tags[1].referrers, 0u);
    EXPECT_EQ(g(dst.resolve("v1")).digest, a_desc.digest);
    EXPECT_EQ(g(dst.resolve("v2")).digest, b_desc.digest);
    EXPECT_TRUE(g(dst.exists(sig_desc)));
    EXPECT_EQ(std::count(dst.log.begin(), dst.log.end(), "push " + shared.digest.str()), 1);

    // Named tags, each once; without referrers.
    recording_store named;
    o = {};
    o.tags = {"v2", "v2"};
    r = g(oras::ops::copy_tags(src, named, o));
    ASSERT_EQ(r.tags.size(), 1u);
    EXPECT_EQ(g(named.resolve("v2")).digest, b_desc.digest);
    EXPECT_FALSE(g(named.exists(sig_desc)));

    // A tag the source lacks fails before anything is copied.
    recording_store untouched;
    o.tags = {"v1", "nope"};
    EXPECT_EQ(error_of([&] { g(oras::ops::copy_tags(src, untouched, o)); }), oras::errc::not_found);
    EXPECT_TRUE(untouched.log.empty());

    // A dry run resolves and counts, and copies nothing.
    o = {};
    o.referrers = true;
    o.dry_run = true;
    r = g(oras::ops::copy_tags(src, untouched, o));
    ASSERT_EQ(r.tags.size(), 2u);
    EXPECT_EQ(r.tags[0].referrers, 1u);
    EXPECT_EQ(r.copied, 0u);
    EXPECT_TRUE(untouched.log.empty());
    EXPECT_EQ(untouched.exists_checks, 0u);

    // A source that cannot list its tags must be told them.
    EXPECT_EQ(error_of([&] { g(oras::ops::copy_tags(g.src, untouched, {})); }),
              oras::errc::unsupported);
}

// A recursive copy whose root the destination already has under the tag still looks for the
// referrers of an index's manifests, as it does when it copies the index.
TEST(copy, a_recursive_copy_of_an_index_already_there_brings_its_manifests_referrers) {
    graph g;
    const auto child = g.manifest("child", 1);
    const auto root = g.index({child});
    const auto sig_desc = g.referrer(child, "signed child");
    oras::test::temp_dir dir;
    oras::content::oci_layout src(dir.path() / "src");
    g(oras::ops::copy(g.src, root.digest.str(), src, {.tags = {"v1"}}));
    g(oras::ops::copy(g.src, sig_desc.digest.str(), src, {}));

    oras::content::oci_layout dst(dir.path() / "dst");
    g(oras::ops::copy(src, "v1", dst, {}));  // without referrers
    EXPECT_FALSE(g(dst.exists(sig_desc)));
    const auto r = g(oras::ops::copy(src, "v1", dst, {.recursive = true}));
    EXPECT_EQ(r.referrers, 1u);
    EXPECT_TRUE(g(dst.exists(sig_desc)));
}

// An artifact manifest as ORAS 1.0 could push it (the signatures and SBOMs of that time, still in
// registries and layouts): a node of the graph with its blobs, its subject's referrer, and
// files when pulled. Taken for a blob, it would travel without its blobs and never be listed.
TEST(copy, an_artifact_manifest_travels_with_its_blobs_and_is_found_as_a_referrer) {
    graph g;
    const auto subject = g.manifest("subject", 1);
    const auto blob = g.put(R"({"spdxVersion":"SPDX-2.3"})", "application/spdx+json");
    const auto json_of = [](const descriptor& d, const std::string& extra) {
        return R"({"mediaType":")" + d.media_type + R"(","digest":")" + d.digest.str()
               + R"(","size":)" + std::to_string(d.size) + extra + "}";
    };
    const auto artifact = g.put(
        R"({"mediaType":"application/vnd.oci.artifact.manifest.v1+json",)"
        R"("artifactType":"doc/sbom","blobs":[)"
            + json_of(blob, R"(,"annotations":{"org.opencontainers.image.title":"sbom.json"})")
            + R"(],"subject":)" + json_of(subject, "") + "}",
        std::string(oras::media_type::artifact_manifest));

    // By itself: its blob first, then it, then the tag.
    recording_store dst;
    const auto r = g(oras::ops::copy(g.src, artifact.digest.str(), dst, {.tags = {"sbom"}}));
    EXPECT_EQ(r.nodes, 2u);
    EXPECT_LT(dst.at("push " + blob.digest.str()), dst.at("push " + artifact.digest.str()));
    EXPECT_EQ(g(dst.resolve("sbom")).digest, artifact.digest);

    // Listed as its subject's referrer in a layout, and mirrored with it.
    oras::test::temp_dir dir;
    oras::content::oci_layout src(dir.path() / "src");
    g(oras::ops::copy(g.src, subject.digest.str(), src, {.tags = {"v1"}}));
    g(oras::ops::copy(g.src, artifact.digest.str(), src, {}));
    oras::content::oci_layout mirror(dir.path() / "mirror");
    const auto rr = g(oras::ops::copy(src, "v1", mirror, {.recursive = true}));
    EXPECT_EQ(rr.referrers, 1u);
    EXPECT_TRUE(g(mirror.exists(artifact)));
    EXPECT_TRUE(g(mirror.exists(blob)));
    const auto listed = g(mirror.referrers(subject, {}));
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].artifact_type, "doc/sbom");

    // Pulled: its titled blobs are the files.
    oras::ops::pull_options po;
    po.output = dir.path() / "out";
    const auto pulled = g(oras::ops::pull(mirror, artifact.digest.str(), po));
    ASSERT_EQ(pulled.files.size(), 1u);
    EXPECT_EQ(oras::test::read_file(dir.path() / "out" / "sbom.json"),
              R"({"spdxVersion":"SPDX-2.3"})");
}
