// http::client's dialling: TCP, CONNECT through proxies, TLS with SNI and verification.
#include "http/client_state.hpp"

namespace oras::http {

namespace detail {

// ---------------------------------------------------------------------------------------------
// Connections

void client_state::load_system_trust() {
    if (system_trust_loaded_ || !options_.tls.use_system_ca || options_.tls.insecure_skip_verify) {
        return;
    }
    system_trust_loaded_ = true;
    boost::system::error_code ec;
    ssl_.set_default_verify_paths(ec);
    if (ec) {
        throw error(ec, "cannot load the system's CA certificates");
    }
}

void client_state::configure_tls() {
    ssl_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                     | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    const auto& t = options_.tls;
    if (t.insecure_skip_verify) {
        ssl_.set_verify_mode(ssl::verify_none);
    } else {
        ssl_.set_verify_mode(ssl::verify_peer);
    }
    try {
        // The system's CA bundle is parsed on the first TLS connection, not here: parsing it
        // costs about 30 ms of CPU, which a process that only talks plain http (a loopback
        // registry, a mirror between local registries) should not pay per client.
        if (!t.ca_file.empty()) {
            ssl_.load_verify_file(t.ca_file);
        }
        if (t.client_certificate_file.empty() != t.client_key_file.empty()) {
            throw error(errc::invalid_argument,
                        "a client certificate needs both a certificate file and a key file");
        }
        if (!t.client_certificate_file.empty()) {
            ssl_.use_certificate_chain_file(t.client_certificate_file);
            ssl_.use_private_key_file(t.client_key_file, ssl::context::pem);
        }
    } catch (const boost::system::system_error& e) {
        throw error(e.code(), "cannot set up TLS (" + std::string(e.what()) + ")");
    }
}

namespace {

std::string basic_proxy_credentials(const boost::urls::url& proxy) {
    if (!proxy.has_userinfo()) {
        return {};
    }
    return "Basic " + oras::detail::base64_encode(proxy.user() + ":" + proxy.password());
}

bool is_ip_literal(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

asio::awaitable<std::unique_ptr<connection>> client_state::connect(
    const origin& target, const std::optional<boost::urls::url>& proxy, const std::string& key) {
    auto c = std::make_unique<connection>();
    c->pool_key = key;
    c->plain.emplace(executor_);
    std::string host = proxy ? std::string(proxy->host_address()) : target.host;
    std::uint16_t port = proxy ? proxy->port_number() : target.port;
    if (!proxy) {
        if (auto to = dial_override(options_.resolve, target)) {
            host = std::move(to->first);
            port = to->second;
        }
    }
    const auto where = proxy ? "proxy " + redact_url(proxy->buffer()) : target.str();

    tcp::resolver resolver(executor_);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(host, std::to_string(port), asio::as_tuple(use_awaitable));
    if (rec) {
        throw error(rec, "cannot resolve " + where);
    }
    // Each address gets the whole connect timeout: a black-holed first address (often IPv6)
    // must not use up the time of the next one.
    beast::error_code cec = asio::error::host_not_found;
    for (const auto& entry : endpoints) {
        c->plain.emplace(executor_);
        c->plain->expires_after(options_.timeouts.connect);
        auto [e] =
            co_await c->plain->async_connect(entry.endpoint(), asio::as_tuple(use_awaitable));
        cec = e;
        if (!cec || cec == asio::error::operation_aborted) {
            break;
        }
    }
    if (cec == asio::error::operation_aborted) {
        throw boost::system::system_error(cec);
    }
    if (cec) {
        throw connect_failure(
            cec == beast::error::timeout ? make_error_code(asio::error::timed_out) : cec,
            "cannot connect to " + where);
    }
    ++stats_.connections_opened;
    c->plain->socket().set_option(tcp::no_delay(true));

    if (proxy && target.tls()) {
        // A CONNECT tunnel through the proxy; TLS then runs end to end with the target.
        const std::string host_port =
            (target.host.find(':') != std::string::npos ? "[" + target.host + "]" : target.host)
            + ":" + std::to_string(target.port);
        std::string head = "CONNECT " + host_port + " HTTP/1.1\r\nHost: " + host_port + "\r\n";
        if (auto creds = basic_proxy_credentials(*proxy); !creds.empty()) {
            head += "Proxy-Authorization: " + creds + "\r\n";
        }
        head += "User-Agent: " + options_.user_agent + "\r\n\r\n";
        c->plain->expires_after(options_.timeouts.io);
        auto [wec, wn] = co_await asio::async_write(*c->plain, asio::buffer(head),
                                                    asio::as_tuple(use_awaitable));
        (void)wn;
        if (wec) {
            throw error(wec, "cannot write CONNECT to " + where);
        }
        bhttp::response_parser<bhttp::empty_body> p;
        p.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after
        p.header_limit(header_limit);
        c->plain->expires_after(options_.timeouts.io);
        auto [hec, hn] = co_await bhttp::async_read_header(*c->plain, c->buffer, p,
                                                           asio::as_tuple(use_awaitable));
        (void)hn;
        if (hec) {
            throw error(hec, "no answer to CONNECT from " + where);
        }
        const unsigned status = p.get().result_int();
        if (status < 200 || status > 299) {
            diagnostics d;
            d.method = "CONNECT";
            d.status = status;
            d.url = target.str();
            throw error(status == 407 ? errc::unauthorized : errc::unexpected_status,
                        where + " refused the tunnel", std::move(d));
        }
        if (c->buffer.size() != 0) {
            throw error(errc::invalid_response, where + " sent bytes after its CONNECT answer");
        }
    } else if (proxy) {
        c->proxied_http = true;
        c->proxy_authorization = basic_proxy_credentials(*proxy);
    }

    if (target.tls()) {
        load_system_trust();
        c->tls = std::make_unique<tls_stream>(std::move(*c->plain), ssl_);
        c->plain.reset();
        SSL* native = c->tls->native_handle();
        const bool ip = is_ip_literal(target.host);
        // SSL_set_tlsext_host_name, without the macro's C cast.
        if (!ip
            && SSL_ctrl(native, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                        const_cast<char*>(target.host.c_str()))
                   != 1) {
            throw error(errc::invalid_argument, "cannot set SNI for " + target.host);
        }
        if (!options_.tls.insecure_skip_verify) {
            X509_VERIFY_PARAM* param = SSL_get0_param(native);
            X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
            const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), 0);
            if (ok != 1) {
                throw error(errc::invalid_argument, "cannot verify host " + target.host);
            }
        }
        beast::get_lowest_layer(*c->tls).expires_after(options_.timeouts.tls_handshake);
        auto [tec] = co_await c->tls->async_handshake(ssl::stream_base::client,
                                                      asio::as_tuple(use_awaitable));
        if (tec == asio::error::operation_aborted) {
            throw boost::system::system_error(tec);
        }
        if (tec) {
            const long verify = SSL_get_verify_result(native);
            if (verify != X509_V_OK) {
                // Verification failures are final: retrying cannot change a certificate.
                throw error(tec, "TLS handshake with " + target.str()
                                     + " failed: " + X509_verify_cert_error_string(verify));
            }
            // Resets and timeouts during the handshake may pass.
            throw connect_failure(
                tec == beast::error::timeout ? make_error_code(asio::error::timed_out) : tec,
                "TLS handshake with " + target.str() + " failed: " + tec.message());
        }
    }
    co_return c;
}

}  // namespace detail

}  // namespace oras::http
