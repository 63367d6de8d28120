// Transport benchmark: oras::http::client against an in-process loopback server.
//  1. One large streamed download and upload (default 1 GiB): MB/s and the client thread's
//     CPU-seconds per GiB, beside the CPU of hashing the same bytes (oras::hasher and
//     `openssl dgst -sha256`). Target: transport CPU under 25% of hashing CPU.
//  2. Many small GETs (default 10,000): requests per second on pooled keep-alive connections
//     vs a new connection per request, at concurrency 1 and 32.
// Prints numbers; asserts nothing.
//
//   oras_bench_transport [MiB=1024] [small requests=10000]
#include <oras/hasher.hpp>
#include <oras/http/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/url/parse.hpp>

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using asio::use_awaitable;

namespace {

double thread_cpu() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double children_cpu() {
    rusage ru{};
    getrusage(RUSAGE_CHILDREN, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec)
           + static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

const std::vector<char>& block() {
    static const std::vector<char> b = [] {
        std::vector<char> v(1 << 20);
        unsigned x = 12345;
        for (auto& c : v) {
            x = x * 1103515245 + 12345;
            c = static_cast<char>(x >> 16);
        }
        return v;
    }();
    return b;
}

// A deliberately simple HTTP/1.1 server: GET /blob/N sends N bytes, GET /small sends 64 bytes,
// PUT reads and drops a Content-Length body. Keep-alive unless the client asks to close.
asio::awaitable<void> serve(tcp::socket s) {
    asio::streambuf in;
    try {
        for (;;) {
            const auto n = co_await asio::async_read_until(s, in, "\r\n\r\n", use_awaitable);
            std::string head(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n);
            in.consume(n);
            std::uint64_t length = 0;
            if (auto p = head.find("Content-Length: "); p != std::string::npos) {
                length = std::stoull(head.substr(p + 16));
            }
            const bool close = head.find("Connection: close") != std::string::npos;
            // Drop the request body.
            std::uint64_t left = length;
            const auto buffered = std::min<std::uint64_t>(left, in.size());
            in.consume(buffered);
            left -= buffered;
            std::vector<char> sink(1 << 20);
            while (left > 0) {
                left -= co_await s.async_read_some(
                    asio::buffer(sink.data(), std::min<std::uint64_t>(sink.size(), left)),
                    use_awaitable);
            }
            std::uint64_t body = 0;
            if (head.rfind("GET /blob/", 0) == 0) {
                body = std::stoull(head.substr(10));
            } else if (head.rfind("GET /small", 0) == 0) {
                body = 64;
            }
            const std::string reply = "HTTP/1.1 "
                                      + std::string(head[0] == 'P' ? "201 Created" : "200 OK")
                                      + "\r\nContent-Length: " + std::to_string(body) + "\r\n"
                                      + (close ? "Connection: close\r\n" : "") + "\r\n";
            co_await asio::async_write(s, asio::buffer(reply), use_awaitable);
            const auto& b = block();
            while (body > 0) {
                const auto k = std::min<std::uint64_t>(body, b.size());
                co_await asio::async_write(s, asio::buffer(b.data(), k), use_awaitable);
                body -= k;
            }
            if (close) {
                co_return;
            }
        }
    } catch (const std::exception&) {
    }
}

asio::awaitable<void> accept_loop(tcp::acceptor& a) {
    for (;;) {
        auto s = co_await a.async_accept(use_awaitable);
        s.set_option(tcp::no_delay(true));
        asio::co_spawn(a.get_executor(), serve(std::move(s)), asio::detached);
    }
}

boost::urls::url url(const std::string& s) {
    return boost::urls::url(boost::urls::parse_uri(s).value());
}

template <class F>
void run(asio::io_context& io, F&& f) {
    std::exception_ptr failure;
    asio::co_spawn(io, std::forward<F>(f), [&](std::exception_ptr e) { failure = e; });
    io.restart();
    io.run();
    if (failure) {
        std::rethrow_exception(failure);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t mib = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1024;
    const int small = argc > 2 ? std::atoi(argv[2]) : 10000;
    const std::uint64_t bytes = mib << 20;
    const double gib = static_cast<double>(bytes) / (1 << 30);

    asio::io_context server_io;
    tcp::acceptor acceptor(server_io, {asio::ip::make_address("127.0.0.1"), 0});
    const auto base = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
    asio::co_spawn(server_io, accept_loop(acceptor), asio::detached);
    std::thread server([&] { server_io.run(); });

    asio::io_context io;
    oras::http::client client(io.get_executor());
    std::vector<std::byte> buf(1024 * 1024);  // the same read size as the raw floor

    // Hashing cost of the same bytes, for scale.
    double hash_cpu = 0;
    {
        const double c0 = thread_cpu();
        oras::hasher h;
        const auto& b = block();
        for (std::uint64_t done = 0; done < bytes; done += b.size()) {
            h.update(std::string_view(b.data(), b.size()));
        }
        (void)h.finish();
        hash_cpu = thread_cpu() - c0;
    }
    double openssl_cpu = 0;
    {
        const auto path = std::filesystem::temp_directory_path() / "oras-bench-transport.bin";
        {
            std::ofstream out(path, std::ios::binary);
            for (std::uint64_t done = 0; done < bytes; done += block().size()) {
                out.write(block().data(), static_cast<std::streamsize>(block().size()));
            }
        }
        const double c0 = children_cpu();
        const std::string cmd = "openssl dgst -sha256 " + path.string() + " > /dev/null";
        if (std::system(cmd.c_str()) != 0) {
            std::printf("openssl dgst failed\n");
        }
        openssl_cpu = children_cpu() - c0;
        std::filesystem::remove(path);
    }

    std::printf("streamed transfers of %llu MiB over loopback (client thread CPU only)\n",
                static_cast<unsigned long long>(mib));
    auto report = [&](const char* what, double wall, double cpu) {
        std::printf(
            "  %-26s %8.1f MB/s  %6.3f CPU-s/GiB  = %5.1f%% of oras::hasher, %5.1f%% of "
            "openssl dgst\n",
            what, static_cast<double>(bytes) / 1e6 / wall, cpu / gib, 100 * cpu / hash_cpu,
            100 * cpu / openssl_cpu);
    };
    std::printf("  %-26s %8s       %6.3f CPU-s/GiB\n", "oras::hasher (sha256)", "", hash_cpu / gib);
    std::printf("  %-26s %8s       %6.3f CPU-s/GiB\n", "openssl dgst -sha256", "",
                openssl_cpu / gib);

    for (const bool hashing : {false, true}) {
        const double c0 = thread_cpu();
        const auto t0 = std::chrono::steady_clock::now();
        run(io, [&]() -> asio::awaitable<void> {
            oras::http::request req;
            req.url = url(base + "/blob/" + std::to_string(bytes));
            auto r = co_await client.send(std::move(req));
            oras::hasher h;
            std::uint64_t got = 0;
            while (const auto n = co_await r.read_some(buf)) {
                if (hashing) {
                    h.update(std::span(buf).first(n));
                }
                got += n;
            }
            if (got != bytes) {
                throw std::runtime_error("short download");
            }
        });
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
        report(hashing ? "download + sha256" : "download", wall.count(), thread_cpu() - c0);
    }
    {
        const double c0 = thread_cpu();
        const auto t0 = std::chrono::steady_clock::now();
        run(io, [&]() -> asio::awaitable<void> {
            oras::http::request req;
            req.method = "PUT";
            req.url = url(base + "/upload");
            std::uint64_t sent = 0;
            req.body = oras::byte_source::from_generator(
                [&](std::span<std::byte> out) -> asio::awaitable<std::size_t> {
                    const auto k = static_cast<std::size_t>(
                        std::min<std::uint64_t>({out.size(), bytes - sent, block().size()}));
                    std::memcpy(out.data(), block().data(), k);
                    sent += k;
                    co_return k;
                },
                bytes);
            auto r = co_await client.send(std::move(req));
            co_await r.discard();
        });
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
        report("upload (generator body)", wall.count(), thread_cpu() - c0);
    }

    {
        // The download floor: the same GET read with plain blocking socket reads into a 1 MiB
        // buffer, no HTTP parsing beyond finding the end of the head.
        const double c0 = thread_cpu();
        const auto t0 = std::chrono::steady_clock::now();
        asio::io_context raw_io;
        tcp::socket s(raw_io);
        s.connect({asio::ip::make_address("127.0.0.1"), acceptor.local_endpoint().port()});
        const std::string head = "GET /blob/" + std::to_string(bytes)
                                 + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        asio::write(s, asio::buffer(head));
        std::vector<char> sink(1 << 20);
        std::uint64_t got = 0;
        boost::system::error_code ec;
        while (!ec) {
            got += s.read_some(asio::buffer(sink), ec);
        }
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
        if (got < bytes) {
            std::printf("raw download short: %llu\n", static_cast<unsigned long long>(got));
        }
        report("download, raw socket floor", wall.count(), thread_cpu() - c0);
    }
    {
        // The floor: the same PUT written with plain blocking socket writes of 1 MiB, no HTTP
        // client at all. On loopback the sender's thread is also charged for the kernel's
        // delivery of every packet, so this is far from free.
        const double c0 = thread_cpu();
        const auto t0 = std::chrono::steady_clock::now();
        asio::io_context raw_io;
        tcp::socket s(raw_io);
        s.connect({asio::ip::make_address("127.0.0.1"), acceptor.local_endpoint().port()});
        s.set_option(tcp::no_delay(true));
        const std::string head = "PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                 + std::to_string(bytes) + "\r\nConnection: close\r\n\r\n";
        asio::write(s, asio::buffer(head));
        for (std::uint64_t sent = 0; sent < bytes; sent += block().size()) {
            asio::write(s, asio::buffer(block()));
        }
        asio::streambuf reply;
        boost::system::error_code ec;
        asio::read_until(s, reply, "\r\n\r\n", ec);
        const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
        report("upload, raw socket floor", wall.count(), thread_cpu() - c0);
    }

    std::printf("%d small GETs (64-byte bodies)\n", small);
    for (const bool keep_alive : {true, false}) {
        for (const int concurrency : {1, 32}) {
            oras::http::client_options opts;
            opts.max_connections_per_origin = static_cast<std::size_t>(concurrency);
            opts.keep_alive = keep_alive;
            oras::http::client c(io.get_executor(), opts);
            int next = 0;
            const auto t0 = std::chrono::steady_clock::now();
            const double c0 = thread_cpu();
            for (int i = 0; i < concurrency; ++i) {
                asio::co_spawn(
                    io,
                    [&]() -> asio::awaitable<void> {
                        while (next < small) {
                            ++next;
                            oras::http::request req;
                            req.url = url(base + "/small");
                            auto r = co_await c.send(std::move(req));
                            co_await r.discard();
                        }
                    },
                    [](std::exception_ptr e) {
                        if (e) {
                            std::rethrow_exception(e);
                        }
                    });
            }
            io.restart();
            io.run();
            const std::chrono::duration<double> wall = std::chrono::steady_clock::now() - t0;
            const auto st = c.stats();
            std::printf(
                "  %-10s concurrency %2d: %9.0f req/s  %6.1f us CPU/req  (%zu connections)\n",
                keep_alive ? "keep-alive" : "new conn", concurrency, small / wall.count(),
                1e6 * (thread_cpu() - c0) / small, st.connections_opened);
        }
    }

    server_io.stop();
    server.join();
    return 0;
}
