// Internal to the transport test servers (scripted_server.cpp, connect_proxy.cpp): a listener on
// an ephemeral 127.0.0.1 port and the loop their server threads run.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <memory>
#include <optional>
#include <thread>

namespace oras::test::detail {

/// An acceptor listening on 127.0.0.1 at a port the kernel picks.
inline boost::asio::ip::tcp::acceptor listen_on_loopback(boost::asio::io_context& io) {
    using tcp = boost::asio::ip::tcp;
    tcp::acceptor acceptor(io);
    const tcp::endpoint ep(boost::asio::ip::make_address_v4("127.0.0.1"), 0);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(boost::asio::socket_base::max_listen_connections);
    return acceptor;
}

/// The body of a server thread: runs `io` until it is stopped; a handler that throws is
/// dropped and the server keeps serving.
inline void run_server_loop(boost::asio::io_context& io) {
    for (;;) {
        try {
            io.run();
            return;
        } catch (...) {
        }
    }
}

/// Stops a server: on its thread, refuses new connections and closes every open one; then joins
/// the thread and destroys what is left (the coroutine frames still suspended go with the
/// io_context; their sockets are closed already). `connections` maps ids to shared pointers of
/// objects with close().
template <class Connections>
void stop_server(std::unique_ptr<boost::asio::io_context>& io, std::thread& thread,
                 std::optional<boost::asio::ip::tcp::acceptor>& acceptor, Connections& connections,
                 bool& stopping) {
    if (!thread.joinable()) {
        return;
    }
    boost::asio::post(*io, [&] {
        stopping = true;
        boost::system::error_code ec;
        acceptor->close(ec);
        for (auto& [id, c] : connections) {
            c->close();
        }
        io->stop();
    });
    thread.join();
    connections.clear();
    acceptor.reset();
    io.reset();
}

}  // namespace oras::test::detail
