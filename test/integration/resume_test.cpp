// Resuming against the real registry: a TCP forwarder in front of it cuts one connection in the
// middle of a chunked upload or of a blob download; the client must ask the registry where it
// stands and carry on, and the result must be exact.
#include <oras/error.hpp>
#include <oras/registry/repository.hpp>
#include <oras/test/files.hpp>
#include <oras/test/registry_process.hpp>
#include <oras/test/run.hpp>
#include <oras/test/temp_dir.hpp>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>

namespace {

namespace asio = boost::asio;
using oras::test::pattern;
using oras::test::registry_process;
using oras::test::run;

/// Forwards 127.0.0.1:port() to the registry. The first connection to carry more than
/// `cut_up` bytes towards the registry, or more than `cut_down` bytes back, is cut there
/// (both sides shut down); later connections are left alone.
class cutting_forwarder {
  public:
    cutting_forwarder(std::uint16_t target, std::size_t cut_up, std::size_t cut_down)
        : target_(target), cut_up_(cut_up), cut_down_(cut_down) {
        listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0
            || ::listen(listener_, 16) != 0) {
            throw std::runtime_error("cannot listen");
        }
        socklen_t len = sizeof a;
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        accept_thread_ = std::thread([this] { accept_loop(); });
    }
    ~cutting_forwarder() {
        stopping_ = true;
        ::shutdown(listener_, SHUT_RDWR);
        ::close(listener_);
        accept_thread_.join();
        std::lock_guard lock(mutex_);
        for (auto& [a, b] : pairs_) {
            ::shutdown(a, SHUT_RDWR);
            ::shutdown(b, SHUT_RDWR);
        }
        for (auto& t : pumps_) {
            t.join();
        }
        for (auto& [a, b] : pairs_) {
            ::close(a);
            ::close(b);
        }
    }
    std::uint16_t port() const { return port_; }
    bool cut() const { return cut_done_; }

  private:
    void accept_loop() {
        while (!stopping_) {
            const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) {
                return;
            }
            const int upstream = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            a.sin_port = htons(target_);
            if (::connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
                ::close(client);
                ::close(upstream);
                continue;
            }
            std::lock_guard lock(mutex_);
            pairs_.emplace_back(client, upstream);
            pumps_.emplace_back([this, client, upstream] { pump(client, upstream, cut_up_); });
            pumps_.emplace_back([this, client, upstream] { pump(upstream, client, cut_down_); });
        }
    }
    void pump(int from, int to, std::size_t cut_after) {
        std::vector<char> buf(64 * 1024);
        std::size_t moved = 0;
        for (;;) {
            const auto n = ::recv(from, buf.data(), buf.size(), 0);
            if (n <= 0) {
                break;
            }
            auto chunk = static_cast<std::size_t>(n);
            bool cut_now = false;
            if (!cut_done_ && moved + chunk > cut_after && !cut_done_.exchange(true)) {
                chunk = cut_after > moved ? cut_after - moved : 0;
                cut_now = true;
            }
            for (std::size_t sent = 0; sent < chunk;) {
                const auto w = ::send(to, buf.data() + sent, chunk - sent, MSG_NOSIGNAL);
                if (w <= 0) {
                    return;
                }
                sent += static_cast<std::size_t>(w);
            }
            moved += chunk;
            if (cut_now) {
                ::shutdown(from, SHUT_RDWR);
                ::shutdown(to, SHUT_RDWR);
                return;
            }
        }
        ::shutdown(to, SHUT_WR);
    }

    std::uint16_t target_;
    std::size_t cut_up_;
    std::size_t cut_down_;
    int listener_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> cut_done_{false};
    std::thread accept_thread_;
    std::mutex mutex_;
    std::vector<std::pair<int, int>> pairs_;
    std::vector<std::thread> pumps_;
};

oras::registry::repository through(asio::io_context& io, std::uint16_t port,
                                   oras::registry::repository_options o = {}) {
    oras::http::client_options h;
    h.proxy.from_environment = false;
    h.retry.base_delay = std::chrono::milliseconds(1);
    oras::auth::client c(oras::http::client(io.get_executor(), h));
    return oras::registry::repository(c, "127.0.0.1:" + std::to_string(port), "resume/app", o);
}

asio::awaitable<std::size_t> generate(std::span<std::byte> buf, const std::string& data,
                                      std::shared_ptr<std::size_t> pos) {
    const auto n = std::min(buf.size(), data.size() - *pos);
    std::memcpy(buf.data(), data.data() + *pos, n);
    *pos += n;
    co_return n;
}

TEST(resume, a_chunked_upload_cut_mid_patch_starts_over_when_the_source_can) {
    // Distribution cannot resume a session whose PATCH was cut mid-body (its status answers 404
    // BLOB_UPLOAD_INVALID): a source that can rewind is sent again in a fresh session. Relative
    // upload Locations keep the client on the forwarder.
    registry_process reg({.relative_urls = true});
    const auto data = pattern((7 << 19) + 4321, 21);                // 3.5 MiB: four 1 MiB chunks
    cutting_forwarder fwd(reg.port(), 1'600'000, std::size_t(-1));  // inside the second PATCH
    asio::io_context io;
    auto repo = through(io, fwd.port(), {.chunk_size = 1 << 20});
    const auto pushed = run(io, repo.push_blob_stream(oras::byte_source::from_string(data), "x/y"));
    EXPECT_TRUE(fwd.cut());
    EXPECT_EQ(pushed.digest, oras::digest::of(data));
    EXPECT_EQ(pushed.size, static_cast<std::int64_t>(data.size()));

    auto got = std::make_shared<std::string>();
    run(io, repo.fetch_blob(pushed, [got](std::span<const std::byte> b) -> asio::awaitable<void> {
        got->append(reinterpret_cast<const char*>(b.data()), b.size());
        co_return;
    }));
    EXPECT_EQ(*got, data);
}

TEST(resume, a_cut_upload_of_a_one_shot_stream_fails_clearly) {
    registry_process reg({.relative_urls = true});
    const auto data = pattern((7 << 19) + 4321, 23);
    cutting_forwarder fwd(reg.port(), 1'600'000, std::size_t(-1));
    asio::io_context io;
    auto repo = through(io, fwd.port(), {.chunk_size = 1 << 20});
    auto pos = std::make_shared<std::size_t>(0);
    oras::byte_source::read_fn gen = [&data, pos](std::span<std::byte> buf) {
        return generate(buf, data, pos);
    };
    try {
        run(io, repo.push_blob_stream(oras::byte_source::from_generator(gen), "x/y"));
        FAIL() << "a cut upload of a stream that cannot start again succeeded";
    } catch (const oras::error& e) {
        EXPECT_EQ(e.code(), oras::errc::upload_invalid) << e.what();
        EXPECT_NE(std::string(e.what()).find("cannot be resumed"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(run(io, repo.blob_exists(oras::digest::of(data))).has_value());
}

TEST(resume, a_known_digest_upload_cut_mid_put_is_sent_again) {
    registry_process reg({.relative_urls = true});
    oras::test::temp_dir dir;
    const auto data = pattern(3 << 20, 24);
    oras::test::write_file(dir.path() / "blob", data);
    oras::descriptor d;
    d.media_type = "application/octet-stream";
    d.digest = oras::digest::of(data);
    d.size = static_cast<std::int64_t>(data.size());
    cutting_forwarder fwd(reg.port(), 1'500'000, std::size_t(-1));
    asio::io_context io;
    auto repo = through(io, fwd.port());
    run(io, repo.push_blob(d, oras::byte_source::from_file(dir.path() / "blob")));
    EXPECT_TRUE(fwd.cut());
    const auto found = run(io, repo.blob_exists(d.digest));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->size, d.size);
}

TEST(resume, a_download_cut_mid_body_resumes_with_range) {
    registry_process reg;
    const auto data = pattern(3 << 20, 22);
    oras::descriptor d;
    d.media_type = "application/octet-stream";
    d.digest = oras::digest::of(data);
    d.size = static_cast<std::int64_t>(data.size());
    {
        asio::io_context io;
        auto direct = through(io, reg.port());
        run(io, direct.push_blob(d, oras::byte_source::from_string(data)));
    }
    cutting_forwarder fwd(reg.port(), std::size_t(-1), 1'000'000);
    asio::io_context io;
    auto repo = through(io, fwd.port());
    auto got = std::make_shared<std::string>();
    auto calls = std::make_shared<std::size_t>(0);
    run(io, repo.fetch_blob(d, [got, calls](std::span<const std::byte> b) -> asio::awaitable<void> {
        got->append(reinterpret_cast<const char*>(b.data()), b.size());
        ++*calls;
        co_return;
    }));
    EXPECT_TRUE(fwd.cut());
    EXPECT_EQ(got->size(), data.size());  // every byte once
    EXPECT_EQ(*got, data);
}

}  // namespace
