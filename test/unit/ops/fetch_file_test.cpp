// ops::fetch_blob_to_file on memory stores that count what they serve: whole fetches, partial
// files continued with a ranged read, the cache, and what the destination may be.
#include <oras/content/blob_cache.hpp>
#include <oras/content/memory_store.hpp>
#include <oras/error.hpp>
#include <oras/ops/manage.hpp>
#include <oras/test/files.hpp>
#include <oras/test/forwarding.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>
#include <string>

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using oras::byte_source;
using oras::descriptor;
using oras::errc;
using oras::test::error_of;
using oras::test::read_file;
using oras::test::write_file;

/// A memory store serving blobs whole or from an offset, as a registry does, counting both.
class counting_source final : public oras::test::forwarding, public oras::content::ranged_opener {
  public:
    using forwarding::forwarding;
    asio::awaitable<byte_source> open(descriptor d) override {
        ++opens;
        co_return co_await to_.open(std::move(d));
    }
    asio::awaitable<byte_source> open_from(descriptor d, std::uint64_t offset) override {
        ++ranged_opens;
        if (refuse_with) {
            throw oras::error(*refuse_with, "the source will not continue from this byte");
        }
        auto bytes = co_await oras::content::fetch_all(to_, d, 64 * 1024 * 1024);
        served_from = offset;
        co_return byte_source::from_string(bytes.substr(static_cast<std::size_t>(offset)));
    }
    int opens = 0;
    int ranged_opens = 0;
    std::uint64_t served_from = 0;
    std::optional<errc> refuse_with;  ///< every ranged open fails with this
};

/// The target interface alone: no ranges.
class plain_source final : public oras::test::forwarding {
  public:
    using forwarding::forwarding;
};

struct fixture {
    oras::test::temp_dir tmp{"oras-fetch-file-"};
    fs::path dir = tmp.path() / "out";
    fs::path out = dir / "blob.bin";
    asio::io_context io;
    oras::content::memory_store store;
    std::string data = oras::test::pattern(3 * 1024 * 1024 + 17, 5);
    descriptor desc = oras::test::describe(data);

    fixture() {
        fs::create_directories(dir);
        run(store.push(desc, byte_source::from_string(data)));
    }

    template <class T>
    T run(asio::awaitable<T> a) {
        return oras::test::run(io, std::move(a));
    }

    oras::ops::fetched_blob_file fetch(oras::content::target& src,
                                       oras::ops::fetch_blob_file_options o = {}) {
        return run(oras::ops::fetch_blob_to_file(src, desc, out, std::move(o)));
    }

    fs::path partial() const {
        return dir / (".blob.bin.oras-partial-" + std::string(desc.digest.encoded().substr(0, 32)));
    }

    /// The names in `dir` other than the fetched file.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir)) {
            if (e.path() != out) {
                names.push_back(e.path().filename().string());
            }
        }
        return names;
    }
};

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
}

TEST(fetch_blob_to_file, writes_the_blob_whole_and_leaves_nothing_beside_it) {
    fixture f;
    counting_source src(f.store);
    const auto r = f.fetch(src);
    EXPECT_EQ(r.resumed_from, 0u);
    EXPECT_FALSE(r.from_cache);
    EXPECT_EQ(src.opens, 1);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
    const auto mask = ::umask(0);
    ::umask(mask);
    EXPECT_EQ(mode_of(f.out), 0666 & ~mask);
}

TEST(fetch_blob_to_file, continues_the_partial_file_a_killed_fetch_left) {
    fixture f;
    const std::size_t kept = 1024 * 1024 + 3;
    write_file(f.partial(), f.data.substr(0, kept));
    counting_source src(f.store);
    const auto r = f.fetch(src);
    EXPECT_EQ(r.resumed_from, kept);
    EXPECT_EQ(src.opens, 0);  // only the rest was asked for
    EXPECT_EQ(src.ranged_opens, 1);
    EXPECT_EQ(src.served_from, kept);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});

    // Whole already (killed between its last byte and its rename): nothing is asked for.
    write_file(f.partial(), f.data);
    counting_source again(f.store);
    EXPECT_EQ(f.fetch(again).resumed_from, f.data.size());
    EXPECT_EQ(again.opens + again.ranged_opens, 0);
    EXPECT_TRUE(read_file(f.out) == f.data);
}

TEST(fetch_blob_to_file, reports_progress_of_what_crosses) {
    fixture f;
    using kind = oras::ops::progress_event::kind;
    std::vector<kind> kinds;
    std::uint64_t last_done = 0;
    std::string name;
    oras::ops::fetch_blob_file_options o;
    o.progress = [&](const oras::ops::progress_event& e) {
        if (kinds.empty() || kinds.back() != e.what) {
            kinds.push_back(e.what);
        }
        if (e.what == kind::bytes) {
            last_done = e.done;
        }
        name = e.name;
    };
    counting_source src(f.store);
    f.fetch(src, o);
    EXPECT_EQ(kinds, (std::vector<kind>{kind::started, kind::bytes, kind::finished}));
    EXPECT_EQ(last_done, f.data.size());
    EXPECT_EQ(name, "blob.bin");

    // Continued: said so with what was kept, and counted from there.
    const std::size_t kept = 2 * 1024 * 1024;
    write_file(f.partial(), f.data.substr(0, kept));
    kinds.clear();
    std::uint64_t resumed_at = 0;
    std::uint64_t first_done = 0;
    o.progress = [&, inner = o.progress](const oras::ops::progress_event& e) {
        if (e.what == kind::resumed) {
            resumed_at = e.done;
        } else if (e.what == kind::bytes && first_done == 0) {
            first_done = e.done;
        }
        inner(e);
    };
    EXPECT_EQ(f.fetch(src, o).resumed_from, kept);
    EXPECT_EQ(kinds,
              (std::vector<kind>{kind::started, kind::resumed, kind::bytes, kind::finished}));
    EXPECT_EQ(resumed_at, kept);
    EXPECT_GT(first_done, kept);
    EXPECT_EQ(last_done, f.data.size());
}

TEST(fetch_blob_to_file, a_partial_file_that_is_not_the_blobs_is_fetched_whole) {
    fixture f;
    std::string damaged = f.data.substr(0, 2 * 1024 * 1024);
    damaged[100] ^= 0x5a;
    write_file(f.partial(), damaged);
    counting_source src(f.store);
    std::vector<std::uint64_t> resumed_at;
    oras::ops::fetch_blob_file_options o;
    o.progress = [&](const oras::ops::progress_event& e) {
        if (e.what == oras::ops::progress_event::kind::resumed) {
            resumed_at.push_back(e.done);
        }
    };
    const auto r = f.fetch(src, o);
    EXPECT_EQ(r.resumed_from, 0u);
    // Said to continue, then to start over: a bar counting from the kept bytes starts over.
    EXPECT_EQ(resumed_at, (std::vector<std::uint64_t>{damaged.size(), 0}));
    EXPECT_EQ(src.ranged_opens, 1);
    EXPECT_EQ(src.opens, 1);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});

    // Longer than the blob: not a beginning of it at all.
    write_file(f.partial(), f.data + "more");
    counting_source longer(f.store);
    EXPECT_EQ(f.fetch(longer).resumed_from, 0u);
    EXPECT_EQ(longer.ranged_opens, 0);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
}

TEST(fetch_blob_to_file, a_source_that_will_not_continue_sends_the_blob_whole) {
    fixture f;
    const std::size_t kept = 1024 * 1024;
    for (const auto code : {errc::invalid_response, errc::unsupported, errc::not_found}) {
        write_file(f.partial(), f.data.substr(0, kept));
        counting_source src(f.store);
        src.refuse_with = code;
        EXPECT_EQ(f.fetch(src).resumed_from, 0u);
        EXPECT_EQ(src.opens, 1);
        EXPECT_TRUE(read_file(f.out) == f.data);
        EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
    }
    write_file(f.partial(), f.data.substr(0, kept));
    plain_source plain(f.store);
    EXPECT_EQ(f.fetch(plain).resumed_from, 0u);
    EXPECT_TRUE(read_file(f.out) == f.data);

    // A failure the source might not repeat is the fetch's, and the partial file stays for the
    // next run.
    fs::remove(f.out);
    write_file(f.partial(), f.data.substr(0, kept));
    counting_source flaky(f.store);
    flaky.refuse_with = errc::unavailable;
    EXPECT_EQ(error_of([&] { f.fetch(flaky); }), errc::unavailable);
    EXPECT_FALSE(fs::exists(f.out));
    EXPECT_EQ(fs::file_size(f.partial()), kept);
}

TEST(fetch_blob_to_file, a_small_blob_is_never_continued) {
    fixture f;
    oras::ops::fetch_blob_file_options o;
    o.resume_min_size = f.data.size() + 1;
    write_file(f.partial(), f.data.substr(0, 1000));
    counting_source src(f.store);
    EXPECT_EQ(f.fetch(src, o).resumed_from, 0u);
    EXPECT_EQ(src.ranged_opens, 0);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_TRUE(fs::exists(f.partial()));  // not this fetch's to take
}

TEST(fetch_blob_to_file, a_replaced_file_keeps_its_mode_and_a_link_stays) {
    fixture f;
    write_file(f.out, "old");
    ASSERT_EQ(::chmod(f.out.c_str(), 0640), 0);
    counting_source src(f.store);
    f.fetch(src);
    EXPECT_EQ(mode_of(f.out), 0640u);
    EXPECT_TRUE(read_file(f.out) == f.data);

    // Through a link: the file it names is replaced, the link stays.
    const auto real = f.tmp.path() / "real.bin";
    write_file(real, "old");
    ASSERT_EQ(::chmod(real.c_str(), 0600), 0);
    fs::remove(f.out);
    fs::create_symlink(real, f.out);
    f.fetch(src);
    EXPECT_TRUE(fs::is_symlink(f.out));
    EXPECT_TRUE(read_file(real) == f.data);
    EXPECT_EQ(mode_of(real), 0600u);

    // A dangling link: the file it names is created.
    fs::remove(real);
    f.fetch(src);
    EXPECT_TRUE(fs::is_symlink(f.out));
    EXPECT_TRUE(read_file(real) == f.data);
}

TEST(fetch_blob_to_file, a_read_only_file_replaced_stays_read_only) {
    fixture f;
    write_file(f.out, "old");
    ASSERT_EQ(::chmod(f.out.c_str(), 0444), 0);
    counting_source src(f.store);
    f.fetch(src);
    EXPECT_EQ(mode_of(f.out), 0444u);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
}

TEST(fetch_blob_to_file, a_partial_file_another_process_writes_is_left_alone) {
    fixture f;
    const std::size_t kept = 1024 * 1024 + 9;
    write_file(f.partial(), f.data.substr(0, kept));
    const int held = ::open(f.partial().c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(held, 0);
    ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
    counting_source src(f.store);
    EXPECT_EQ(f.fetch(src).resumed_from, 0u);
    EXPECT_EQ(src.opens, 1);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(fs::file_size(f.partial()), kept);  // the other writer's, untouched
    ::close(held);
}

TEST(fetch_blob_to_file, an_empty_blob_under_a_stable_name) {
    fixture f;
    const descriptor empty = oras::test::describe("");
    f.run(f.store.push(empty, byte_source::from_string({})));
    counting_source src(f.store);
    oras::ops::fetch_blob_file_options o;
    o.resume_min_size = 0;
    f.run(oras::ops::fetch_blob_to_file(src, empty, f.out, o));
    EXPECT_EQ(fs::file_size(f.out), 0u);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
}

TEST(fetch_blob_to_file, a_cached_fetch_drops_the_partial_file_of_the_blob) {
    fixture f;
    oras::test::temp_dir cache_dir{"oras-fetch-file-cache-"};
    oras::ops::fetch_blob_file_options o;
    o.cache = std::make_shared<oras::content::blob_cache>(cache_dir.path());
    counting_source first(f.store);
    f.fetch(first, o);
    write_file(f.partial(), f.data.substr(0, 1024 * 1024));
    counting_source second(f.store);
    EXPECT_TRUE(f.fetch(second, o).from_cache);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
}

TEST(fetch_blob_to_file, refuses_what_is_not_a_regular_file_before_any_request) {
    fixture f;
    counting_source src(f.store);
    const auto fetch_to = [&](const fs::path& p) {
        return f.run(oras::ops::fetch_blob_to_file(src, f.desc, p));
    };
    EXPECT_EQ(error_of([&] { fetch_to(f.dir); }), errc::invalid_argument);
    const auto fifo = f.dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_EQ(error_of([&] { fetch_to(fifo); }), errc::invalid_argument);
    EXPECT_EQ(error_of([&] { fetch_to("/dev/null"); }), errc::invalid_argument);
    // A descriptor's link, to an open regular file: its open file would be left unwritten.
    const auto opened = f.tmp.path() / "opened";
    write_file(opened, "x");
    const int fd = ::open(opened.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    const auto link = f.dir / "fd-link";
    fs::create_symlink("/proc/self/fd/" + std::to_string(fd), link);
    EXPECT_EQ(error_of([&] { fetch_to(link); }), errc::invalid_argument);
    ::close(fd);
    fs::remove(link);
    // A name this library gives its own temporary files.
    EXPECT_EQ(error_of([&] { fetch_to(f.partial()); }), errc::invalid_argument);
    EXPECT_EQ(error_of([&] { fetch_to(f.tmp.path() / "missing" / "blob"); }),
              errc::invalid_argument);
    EXPECT_EQ(src.opens + src.ranged_opens, 0);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{"fifo"});
}

// As fs.protected_symlinks: in a sticky directory anyone may write, a link neither this user
// nor the directory's owner made is not followed.
TEST(fetch_blob_to_file, refuses_another_users_link_in_a_shared_directory) {
    fixture f;
    const auto shared = f.tmp.path() / "shared";
    fs::create_directories(shared);
    ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);
    const auto victim = f.tmp.path() / "victim";
    write_file(victim, "mine");
    const auto planted = shared / "out.bin";
    fs::create_symlink(victim, planted);
    if (::geteuid() != 0 || ::lchown(planted.c_str(), 65534, 65534) != 0) {
        GTEST_SKIP() << "needs root to give a link to another user";
    }
    counting_source src(f.store);
    EXPECT_EQ(error_of([&] { f.run(oras::ops::fetch_blob_to_file(src, f.desc, planted)); }),
              errc::invalid_argument);
    EXPECT_EQ(read_file(victim), "mine");
    // The same link in a directory that is not shared is followed.
    const auto own = f.dir / "own.bin";
    fs::create_symlink(victim, own);
    ASSERT_EQ(::lchown(own.c_str(), 65534, 65534), 0);
    f.run(oras::ops::fetch_blob_to_file(src, f.desc, own));
    EXPECT_TRUE(read_file(victim) == f.data);
}

TEST(fetch_blob_to_file, uses_the_cache_and_fetches_past_a_damaged_entry) {
    fixture f;
    oras::test::temp_dir cache_dir{"oras-fetch-file-cache-"};
    oras::ops::fetch_blob_file_options o;
    o.cache = std::make_shared<oras::content::blob_cache>(cache_dir.path());
    counting_source first(f.store);
    EXPECT_FALSE(f.fetch(first, o).from_cache);
    EXPECT_EQ(o.cache->stats().stored, 1u);

    fs::remove(f.out);
    counting_source second(f.store);
    EXPECT_TRUE(f.fetch(second, o).from_cache);
    EXPECT_EQ(second.opens + second.ranged_opens, 0);
    EXPECT_TRUE(read_file(f.out) == f.data);

    // A damaged entry: dropped, and the blob comes from the source; nothing of the entry's
    // bytes is left.
    auto bad = f.data;
    bad[bad.size() - 1] ^= 1;
    write_file(cache_dir.path() / "blobs/sha256" / f.desc.digest.encoded(), bad);
    fs::remove(f.out);
    counting_source third(f.store);
    EXPECT_FALSE(f.fetch(third, o).from_cache);
    EXPECT_EQ(third.opens, 1);
    EXPECT_TRUE(read_file(f.out) == f.data);
    EXPECT_EQ(f.leftovers(), std::vector<std::string>{});
}

}  // namespace
