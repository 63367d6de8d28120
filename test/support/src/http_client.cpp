// http_request(): one request per connection over Beast, http or https, on a private
// io_context (so every step, including connect and the TLS handshake, has a deadline).
#include <oras/test/http.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <openssl/ssl.h>

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace oras::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct parsed_url {
    bool https = false;
    std::string host;  // name or IP, without brackets
    std::string port;
    std::string host_header;  // as in the URL, with port if given
    std::string target;       // origin-form
    bool host_is_ip = false;
};

parsed_url parse_url(std::string_view text) {
    auto r = boost::urls::parse_uri(text);
    if (!r)
        throw std::invalid_argument("http_request: bad URL: " + std::string(text));
    const boost::urls::url_view& u = *r;
    parsed_url p;
    if (u.scheme_id() == boost::urls::scheme::https) {
        p.https = true;
    } else if (u.scheme_id() != boost::urls::scheme::http) {
        throw std::invalid_argument("http_request: not an http(s) URL: " + std::string(text));
    }
    p.host = u.host_address();
    if (p.host.empty())
        throw std::invalid_argument("http_request: no host in " + std::string(text));
    p.host_is_ip = u.host_type() == boost::urls::host_type::ipv4
                   || u.host_type() == boost::urls::host_type::ipv6;
    p.port = u.has_port() ? std::string(u.port()) : (p.https ? "443" : "80");
    p.host_header = u.encoded_host_and_port();
    p.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) {
        p.target += '?';
        p.target += u.encoded_query();
    }
    return p;
}

using request_t = http::request<http::string_body>;

request_t make_request(std::string_view method, const parsed_url& url,
                       const request_options& opts) {
    request_t req;
    const http::verb verb = http::string_to_verb(method);
    if (verb == http::verb::unknown) {
        req.method_string(method);
    } else {
        req.method(verb);
    }
    req.target(url.target);
    req.version(11);
    req.set(http::field::host, url.host_header);
    req.set(http::field::user_agent, "oras-cpp-test-support");
    req.keep_alive(false);
    if (!opts.content_type.empty())
        req.set(http::field::content_type, opts.content_type);
    for (const auto& [name, value] : opts.headers)
        req.insert(name, value);
    req.body() = opts.body;
    req.prepare_payload();
    return req;
}

template <class Stream>
asio::awaitable<http_response> exchange(Stream& stream, request_t& req,
                                        const request_options& opts) {
    co_await http::async_write(stream, req, asio::use_awaitable);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(opts.body_limit);
    if (req.method() == http::verb::head)
        parser.skip(true);
    co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
    auto& msg = parser.get();
    http_response res;
    res.status = msg.result_int();
    for (const auto& field : msg) {
        res.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    res.body = std::move(msg.body());
    co_return res;
}

asio::awaitable<http_response> run(std::string method, parsed_url url, request_options opts) {
    auto executor = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + opts.timeout;

    tcp::resolver resolver(executor);
    const auto endpoints = co_await resolver.async_resolve(url.host, url.port, asio::use_awaitable);
    beast::tcp_stream tcp_stream(executor);
    tcp_stream.expires_at(deadline);
    co_await tcp_stream.async_connect(endpoints, asio::use_awaitable);

    request_t req = make_request(method, url, opts);
    if (!url.https) {
        http_response res = co_await exchange(tcp_stream, req, opts);
        boost::system::error_code ignored;
        tcp_stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        co_return res;
    }

    ssl::context ctx(ssl::context::tls_client);
    if (opts.insecure) {
        ctx.set_verify_mode(ssl::verify_none);
    } else {
        ctx.set_verify_mode(ssl::verify_peer);
        if (opts.ca_file.empty()) {
            ctx.set_default_verify_paths();
        } else {
            ctx.load_verify_file(opts.ca_file);
        }
        ctx.set_verify_callback(ssl::host_name_verification(url.host));
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), ctx);
    if (!url.host_is_ip) {
        // SSL_set_tlsext_host_name is a casting macro; call what it expands to.
        if (SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME,
                     TLSEXT_NAMETYPE_host_name, const_cast<char*>(url.host.c_str()))
            != 1) {
            throw std::runtime_error("http_request: cannot set SNI");
        }
    }
    co_await stream.async_handshake(ssl::stream_base::client, asio::use_awaitable);
    http_response res = co_await exchange(stream, req, opts);
    // Best-effort close_notify; the response is complete already.
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    boost::system::error_code ignored;
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
    co_return res;
}

}  // namespace

http_response http_request(std::string_view method, std::string_view url,
                           const request_options& options) {
    const parsed_url parsed = parse_url(url);
    asio::io_context ioc;
    std::exception_ptr failure;
    std::optional<http_response> response;
    asio::co_spawn(ioc, run(std::string(method), parsed, options),
                   [&](std::exception_ptr e, http_response r) {
                       failure = e;
                       if (!e)
                           response = std::move(r);
                   });
    ioc.run();
    const std::string what = std::string(method) + " " + std::string(url);
    if (failure) {
        try {
            std::rethrow_exception(failure);
        } catch (const boost::system::system_error& e) {
            throw std::system_error(std::error_code(e.code()), what);
        }
    }
    if (!response)
        throw std::runtime_error(what + ": no response");
    return std::move(*response);
}

}  // namespace oras::test
