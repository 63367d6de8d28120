// The test token issuer: an Asio/Beast HTTP server on its own thread, granting RS256 JWTs.
#include "signing.hpp"

#include <oras/test/secrets.hpp>
#include <oras/test/temp_dir.hpp>
#include <oras/test/token_issuer.hpp>

#include <oras/detail/base64.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace oras::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;

using request_t = http::request<http::string_body>;
using response_t = http::response<http::string_body>;

std::string random_hex(std::size_t bytes) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto b = static_cast<unsigned>(rng() & 0xffu);
        out += digits[b >> 4];
        out += digits[b & 0xfu];
    }
    return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    while (true) {
        const auto pos = s.find(sep);
        if (!s.substr(0, pos).empty())
            out.emplace_back(s.substr(0, pos));
        if (pos == std::string_view::npos)
            break;
        s.remove_prefix(pos + 1);
    }
    return out;
}

bool istarts_with(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size())
        return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(s[i]) != lower(prefix[i]))
            return false;
    }
    return true;
}

std::string base64url_to_bytes(std::string_view part) {
    std::string std_form(part);
    for (char& c : std_form) {
        if (c == '-')
            c = '+';
        if (c == '_')
            c = '/';
    }
    while (std_form.size() % 4 != 0)
        std_form += '=';
    auto r = oras::detail::base64_decode(std_form);
    if (!r)
        throw std::invalid_argument("decode_jwt: bad base64url");
    return std::move(*r);
}

// Multi-valued parameters, decoded (form encoding: '+' is a space).
using param_map = std::multimap<std::string, std::string>;

param_map parse_params(std::string_view text) {
    // Boost 1.81: parse_query() (and so params_view(string_view)) measures its input with
    // strlen, so it must get a NUL-terminated copy; params_view(params_view, encoding_opts) is
    // declared but not in the library.
    const std::string query(text);
    param_map out;
    boost::urls::encoding_opts opt;
    opt.space_as_plus = true;
    if (!boost::urls::parse_query(query))
        throw std::invalid_argument("bad query");
    for (auto p : boost::urls::params_view(query, opt)) {
        out.emplace(std::string(p.key), p.has_value ? std::string(p.value) : std::string());
    }
    return out;
}

std::string first(const param_map& m, const std::string& key) {
    const auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
}

std::vector<std::string> all_scopes(const param_map& m) {
    std::vector<std::string> out;
    auto [b, e] = m.equal_range("scope");
    for (auto it = b; it != e; ++it) {
        for (auto& s : split(it->second, ' '))
            out.push_back(std::move(s));
    }
    return out;
}

json::array access_json(const std::vector<access_entry>& access) {
    json::array arr;
    for (const auto& a : access) {
        json::array actions;
        for (const auto& act : a.actions)
            actions.emplace_back(act);
        arr.emplace_back(json::object{{"type", a.type}, {"name", a.name}, {"actions", actions}});
    }
    return arr;
}

struct http_error {
    unsigned status;
    std::string error;
    std::string description;
};

}  // namespace

class token_issuer::impl {
  public:
    explicit impl(options opts)
        : opts_(std::move(opts)), signer_(opts_.issuer_name + " signing key"), acceptor_(ioc_) {
        for (const auto& u : opts_.users) {
            note_secret(u.password);
        }
        const json::object header{
            {"typ", "JWT"},
            {"alg", "RS256"},
            {"x5c",
             json::array{json::string(oras::detail::base64_encode(signer_.certificate_der()))}}};
        header_b64_ = oras::detail::base64_encode(json::serialize(header), true);

        const tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), 0);
        acceptor_.open(ep.protocol());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen();
        port_ = acceptor_.local_endpoint().port();
        asio::co_spawn(ioc_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { ioc_.run(); });
    }

    ~impl() {
        asio::post(ioc_, [this] {
            stopping_ = true;  // sessions spawned but not started yet end at once
            boost::system::error_code ignored;
            acceptor_.close(ignored);
            for (auto* s : sessions_)
                s->close();
        });
        if (thread_.joinable())
            thread_.join();
    }

    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;

    std::uint16_t port() const { return port_; }
    std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
    const options& opts_unlocked() const { return opts_; }  // service/issuer never change
    const detail::rs256_signer& signer() const { return signer_; }

    void set_lifetime(std::chrono::seconds s) {
        std::lock_guard lock(mu_);
        opts_.token_lifetime = s;
    }
    void set_anonymous_pull(bool b) {
        std::lock_guard lock(mu_);
        opts_.anonymous_pull = b;
    }
    void set_users(std::vector<user> users) {
        std::lock_guard lock(mu_);
        for (const auto& u : users) {
            note_secret(u.password);
        }
        opts_.users = std::move(users);
    }

    std::string mint(const mint_options& m) {
        const auto now = std::chrono::system_clock::now();
        const auto exp = now + m.lifetime;
        const auto start = m.lifetime.count() < 0 ? exp - std::chrono::seconds(60) : now;
        std::string token =
            sign(m.subject, m.access, start, exp, m.audience.empty() ? opts_.service : m.audience,
                 m.issuer.empty() ? opts_.issuer_name : m.issuer);
        std::lock_guard lock(mu_);
        issued_.push_back(
            issued_token{token,
                         m.subject,
                         m.access,
                         std::chrono::time_point_cast<std::chrono::system_clock::duration>(exp),
                         {},
                         {},
                         true});
        return token;
    }

    std::vector<issuer_request> requests() const {
        std::lock_guard lock(mu_);
        return requests_;
    }
    std::vector<issued_token> issued() const {
        std::lock_guard lock(mu_);
        return issued_;
    }
    std::size_t http_token_count() const {
        std::lock_guard lock(mu_);
        return http_tokens_;
    }
    void clear() {
        std::lock_guard lock(mu_);
        requests_.clear();
        issued_.clear();
        http_tokens_ = 0;
    }

  private:
    std::string sign(const std::string& subject, const std::vector<access_entry>& access,
                     std::chrono::system_clock::time_point start,
                     std::chrono::system_clock::time_point exp, const std::string& audience,
                     const std::string& issuer) const {
        auto secs = [](std::chrono::system_clock::time_point t) {
            return static_cast<std::int64_t>(std::chrono::system_clock::to_time_t(t));
        };
        const json::object claims{{"iss", issuer},         {"sub", subject},
                                  {"aud", audience},       {"exp", secs(exp)},
                                  {"nbf", secs(start)},    {"iat", secs(start)},
                                  {"jti", random_hex(16)}, {"access", access_json(access)}};
        std::string signing_input =
            header_b64_ + "." + oras::detail::base64_encode(json::serialize(claims), true);
        const std::string sig = signer_.sign(signing_input);
        auto token = signing_input + "." + oras::detail::base64_encode(sig, true);
        note_secret(token);
        return token;
    }

    // Under mu_.
    const user* find_user(std::string_view name) const {
        for (const auto& u : opts_.users) {
            if (u.name == name)
                return &u;
        }
        return nullptr;
    }

    // Under mu_. `u` null: anonymous.
    std::vector<access_entry> grant(const user* u, const std::vector<std::string>& scopes) const {
        std::vector<access_entry> out;
        for (const auto& scope : scopes) {
            const auto c1 = scope.find(':');
            const auto c2 = scope.rfind(':');
            if (c1 == std::string::npos || c1 == c2)
                continue;  // not type:name:actions
            access_entry want{scope.substr(0, c1), scope.substr(c1 + 1, c2 - c1 - 1),
                              split(std::string_view(scope).substr(c2 + 1), ',')};
            std::vector<std::string> allowed;
            if (want.type == "repository" || want.type.starts_with("repository(")) {
                if (u != nullptr) {
                    allowed = u->actions;
                } else if (opts_.anonymous_pull) {
                    allowed = {"pull"};
                }
            } else if (want.type == "registry" && want.name == "catalog") {
                if (u != nullptr && u->catalog)
                    allowed = {"*"};
            }
            const bool all = std::find(allowed.begin(), allowed.end(), "*") != allowed.end();
            auto existing = std::find_if(out.begin(), out.end(), [&](const access_entry& a) {
                return a.type == want.type && a.name == want.name;
            });
            for (const auto& action : want.actions) {
                if (!all && std::find(allowed.begin(), allowed.end(), action) == allowed.end()) {
                    continue;
                }
                if (existing == out.end()) {
                    out.push_back({want.type, want.name, {}});
                    existing = out.end() - 1;
                }
                auto& acts = existing->actions;
                if (std::find(acts.begin(), acts.end(), action) == acts.end())
                    acts.push_back(action);
            }
        }
        return out;
    }

    static response_t json_response(unsigned status, const json::object& body) {
        response_t res{static_cast<http::status>(status), 11};
        res.set(http::field::content_type, "application/json");
        res.set(http::field::cache_control, "no-store");
        res.body() = json::serialize(body);
        return res;
    }

    static response_t error_response(const http_error& e) {
        response_t res =
            json_response(e.status, {{"error", e.error}, {"error_description", e.description}});
        if (e.status == 401)
            res.set(http::field::www_authenticate, "Basic realm=\"oras-test-issuer\"");
        return res;
    }

    response_t handle(const request_t& req, issuer_request& rec) {
        rec.method = std::string(req.method_string());
        rec.target = std::string(req.target());
        auto target = boost::urls::parse_origin_form(req.target());
        if (!target)
            throw http_error{400, "invalid_request", "bad request target"};
        rec.path = std::string(target->path());
        if (auto it = req.find(http::field::authorization); it != req.end()) {
            rec.authorization = std::string(it->value());
        }
        if (rec.path != "/token")
            throw http_error{404, "not_found", "no such endpoint"};

        param_map params;
        bool is_post = false;
        if (req.method() == http::verb::get) {
            params = parse_params(target->encoded_query());
        } else if (req.method() == http::verb::post) {
            is_post = true;
            params = parse_params(req.body());
        } else {
            throw http_error{405, "invalid_request", "method not allowed"};
        }
        rec.scopes = all_scopes(params);
        rec.grant_type = first(params, "grant_type");

        std::lock_guard lock(mu_);
        if (first(params, "service") != opts_.service) {
            throw http_error{400, "invalid_request",
                             "unknown service \"" + first(params, "service") + "\""};
        }

        const user* who = nullptr;
        std::string refresh;
        if (!is_post) {
            if (!rec.authorization.empty()) {
                if (!istarts_with(rec.authorization, "basic ")) {
                    throw http_error{401, "invalid_client", "only Basic credentials are accepted"};
                }
                auto decoded =
                    oras::detail::base64_decode(std::string_view(rec.authorization).substr(6));
                if (!decoded)
                    throw http_error{401, "invalid_client", "malformed Basic credentials"};
                const auto colon = decoded->find(':');
                if (colon == std::string::npos)
                    throw http_error{401, "invalid_client", "malformed Basic credentials"};
                rec.basic_user = decoded->substr(0, colon);
                who = find_user(rec.basic_user);
                if (who == nullptr || who->password != decoded->substr(colon + 1)) {
                    throw http_error{401, "invalid_client", "unknown user or wrong password"};
                }
            } else if (!opts_.anonymous_pull) {
                throw http_error{401, "invalid_client", "authentication required"};
            }
            if (first(params, "offline_token") == "true" && who != nullptr) {
                refresh = random_hex(24);
                note_secret(refresh);
                refresh_tokens_[refresh] = who->name;
            }
        } else if (rec.grant_type == "password") {
            const std::string name = first(params, "username");
            if (name.empty())
                throw http_error{400, "invalid_request", "username missing"};
            who = find_user(name);
            if (who == nullptr || who->password != first(params, "password")) {
                throw http_error{401, "invalid_grant", "unknown user or wrong password"};
            }
            refresh = random_hex(24);
            note_secret(refresh);
            refresh_tokens_[refresh] = who->name;
        } else if (rec.grant_type == "refresh_token") {
            refresh = first(params, "refresh_token");
            const auto it = refresh_tokens_.find(refresh);
            if (it == refresh_tokens_.end())
                throw http_error{401, "invalid_grant", "unknown refresh token"};
            who = find_user(it->second);
            if (who == nullptr)
                throw http_error{401, "invalid_grant", "user no longer exists"};
        } else if (rec.grant_type.empty()) {
            throw http_error{400, "invalid_request", "grant_type missing"};
        } else {
            throw http_error{400, "unsupported_grant_type",
                             "unsupported grant_type " + rec.grant_type};
        }

        const auto access = grant(who, rec.scopes);
        const auto now = std::chrono::system_clock::now();
        const auto exp = now + opts_.token_lifetime;
        const std::string subject = who != nullptr ? who->name : std::string();
        std::string token = sign(subject, access, now, exp, opts_.service, opts_.issuer_name);
        json::object body{{"token", token},
                          {"access_token", token},
                          {"expires_in", opts_.token_lifetime.count()},
                          {"issued_at", rfc3339(now)}};
        if (!refresh.empty())
            body["refresh_token"] = refresh;
        if (is_post && !rec.scopes.empty()) {
            std::string scope_text;
            for (const auto& s : rec.scopes)
                scope_text += (scope_text.empty() ? "" : " ") + s;
            body["scope"] = scope_text;
        }
        issued_.push_back(
            issued_token{token, subject, access,
                         std::chrono::time_point_cast<std::chrono::system_clock::duration>(exp),
                         refresh, first(params, "client_id"), false});
        ++http_tokens_;
        return json_response(200, body);
    }

    response_t respond(const request_t& req) {
        issuer_request rec;
        response_t res;
        try {
            res = handle(req, rec);
        } catch (const http_error& e) {
            res = error_response(e);
        } catch (const std::exception& e) {
            res = error_response({500, "server_error", e.what()});
        }
        rec.status = res.result_int();
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(rec));
        return res;
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] =
                co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (!acceptor_.is_open())
                    co_return;
                continue;
            }
            asio::co_spawn(ioc_, session(std::move(socket)), asio::detached);
        }
    }

    asio::awaitable<void> session(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        if (stopping_)
            co_return;
        sessions_.insert(&stream);
        beast::flat_buffer buffer;
        boost::system::error_code ec;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(1024 * 1024);
            stream.expires_after(std::chrono::seconds(60));
            co_await http::async_read(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
            if (ec)
                break;
            request_t req = parser.release();
            response_t res = respond(req);
            res.keep_alive(req.keep_alive());
            res.prepare_payload();
            co_await http::async_write(stream, res, asio::redirect_error(asio::use_awaitable, ec));
            if (ec || !res.keep_alive())
                break;
        }
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        sessions_.erase(&stream);
    }

    mutable std::mutex mu_;
    options opts_;
    detail::rs256_signer signer_;
    std::string header_b64_;
    std::vector<issuer_request> requests_;
    std::vector<issued_token> issued_;
    std::size_t http_tokens_ = 0;
    std::map<std::string, std::string> refresh_tokens_;  // refresh token -> user name

    asio::io_context ioc_;
    tcp::acceptor acceptor_;
    // Touched on the io thread only.
    std::set<beast::tcp_stream*> sessions_;
    bool stopping_ = false;
    std::uint16_t port_ = 0;
    std::thread thread_;
};

token_issuer::token_issuer(options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
token_issuer::~token_issuer() = default;

std::uint16_t token_issuer::port() const {
    return impl_->port();
}
std::string token_issuer::realm() const {
    return impl_->realm();
}
std::string token_issuer::service() const {
    return impl_->opts_unlocked().service;
}
std::string token_issuer::issuer_name() const {
    return impl_->opts_unlocked().issuer_name;
}
std::string token_issuer::certificate_pem() const {
    return impl_->signer().certificate_pem();
}
void token_issuer::write_certificate(const std::string& path) const {
    write_file(path, impl_->signer().certificate_pem());
}

void token_issuer::set_token_lifetime(std::chrono::seconds lifetime) {
    impl_->set_lifetime(lifetime);
}
void token_issuer::set_anonymous_pull(bool allowed) {
    impl_->set_anonymous_pull(allowed);
}
void token_issuer::set_users(std::vector<user> users) {
    impl_->set_users(std::move(users));
}

std::string token_issuer::mint(const mint_options& opts) {
    return impl_->mint(opts);
}
std::string token_issuer::mint(std::string subject, std::vector<access_entry> access,
                               std::chrono::seconds lifetime) {
    mint_options m;
    m.subject = std::move(subject);
    m.access = std::move(access);
    m.lifetime = lifetime;
    return impl_->mint(m);
}

std::size_t token_issuer::request_count() const {
    return impl_->requests().size();
}
std::size_t token_issuer::request_count(std::string_view path) const {
    const auto reqs = impl_->requests();
    return static_cast<std::size_t>(std::count_if(
        reqs.begin(), reqs.end(), [&](const issuer_request& r) { return r.path == path; }));
}
std::size_t token_issuer::token_count() const {
    return impl_->http_token_count();
}
std::vector<issuer_request> token_issuer::requests() const {
    return impl_->requests();
}
std::vector<issued_token> token_issuer::issued() const {
    return impl_->issued();
}
issued_token token_issuer::last_issued() const {
    const auto all = impl_->issued();
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (!it->minted)
            return *it;
    }
    throw std::logic_error("token_issuer: no token issued yet");
}
void token_issuer::clear_records() {
    impl_->clear();
}

std::pair<std::string, std::string> decode_jwt(std::string_view token) {
    const auto d1 = token.find('.');
    const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
    if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
        throw std::invalid_argument("decode_jwt: not a compact JWT");
    }
    return {base64url_to_bytes(token.substr(0, d1)),
            base64url_to_bytes(token.substr(d1 + 1, d2 - d1 - 1))};
}

}  // namespace oras::test
