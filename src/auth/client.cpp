// The authenticating client: challenge handling, token fetches and the per-registry state.
#include <oras/auth/challenge.hpp>
#include <oras/auth/client.hpp>
#include <oras/detail/base64.hpp>
#include <oras/error.hpp>

#include "auth/api_root.hpp"
#include "auth/token_response.hpp"
#include "core/async/run_blocking.hpp"
#include "core/async/shared_flight.hpp"
#include "core/cancelled.hpp"
#include "core/json_reader.hpp"
#include "core/quote.hpp"
#include "http/policy.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <functional>
#include <map>
#include <optional>
#include <thread>

namespace oras::auth {

namespace asio = boost::asio;
using asio::use_awaitable;

namespace detail {
namespace {

enum class scheme_kind { unknown, none, basic, bearer };

/// What is known of one registry origin.
struct registry_state {
    std::string origin;     // "https://host:port": where its tokens may go
    std::string authority;  // "host[:port]": its credential key
    /// "host:port" when the URL spelled out the scheme's default port ("myreg:443"): users log
    /// in under the name they type, so credentials are looked for under it first.
    std::string spelled;
    bool tls = false;
    scheme_kind scheme = scheme_kind::unknown;
    std::string realm;  // Bearer
    std::string service;
    bool credential_loaded = false;
    credential cred;
    std::string refresh_token;  // handed out by its token service
    /// Set while a bodiless request, sent before the scheme was known, awaits its answer:
    /// requests arriving meanwhile wait for it to learn the scheme instead of each being
    /// challenged in turn.
    std::shared_ptr<asio::steady_timer> probe;
    /// A read was answered without a challenge while the scheme was unknown: reads need no
    /// probe (an anonymous registry, or anonymous pulls).
    bool reads_open = false;
};

/// Ends a probe (wakes the requests waiting on it) when it goes out of scope or is released.
struct probe_guard {
    std::shared_ptr<registry_state> reg;
    std::shared_ptr<asio::steady_timer> timer;
    void release() noexcept {
        if (timer) {
            if (reg->probe == timer) {
                reg->probe.reset();
            }
            timer->cancel();
            timer.reset();
        }
    }
    ~probe_guard() { release(); }
};

using oras::detail::flight_map;
using oras::detail::share_flight;

std::string form_encode(std::string_view s) {
    return boost::urls::encode(s, boost::urls::unreserved_chars);
}

std::string basic_authorization(const credential& c) {
    return "Basic " + oras::detail::base64_encode(c.username + ":" + c.password);
}

/// The challenges of a 401's `WWW-Authenticate` fields, each field parsed on its own: a
/// malformed one (a vendor's own scheme, say) does not hide the good ones beside it. When none
/// is usable and one was malformed, that is the registry's error, named: left unsaid, it reads
/// as refused credentials.
std::vector<challenge> challenges_of(const http::fields& headers, unsigned status,
                                     const std::string& authority) {
    std::vector<challenge> out;
    std::optional<std::string> malformed;
    for (const auto field : headers.get_all("WWW-Authenticate")) {
        auto parsed = parse_www_authenticate(field);
        if (parsed) {
            out.insert(out.end(), std::make_move_iterator(parsed->begin()),
                       std::make_move_iterator(parsed->end()));
        } else if (!malformed) {
            malformed = parsed.error().message;
        }
    }
    if (out.empty() && malformed) {
        throw error(errc::invalid_response,
                    authority + " answered " + std::to_string(status)
                        + " with a malformed WWW-Authenticate challenge, so no credentials can be "
                          "offered: "
                        + *malformed);
    }
    return out;
}

}  // namespace

class client_state : public std::enable_shared_from_this<client_state> {
  public:
    client_state(http::client http, client_options options)
        : http_(std::move(http)), options_(std::move(options)), cache_(options_.cache) {}

    asio::awaitable<http::response> send(http::request req, scope_set scopes);

    void clear() {
        registries_.clear();
        cache_ = token_cache(options_.cache);
    }

    http::client http_;
    client_options options_;
    token_cache cache_;
    client_stats stats_;

  private:
    std::shared_ptr<registry_state> registry_for(const boost::urls::url& u);
    asio::awaitable<void> discover(std::shared_ptr<registry_state> reg);
    void learn(registry_state& reg, const std::vector<challenge>& challenges);
    asio::awaitable<credential> credential_for(std::shared_ptr<registry_state> reg);
    asio::awaitable<std::optional<std::string>> authorization(std::shared_ptr<registry_state> reg,
                                                              const scope_set& scopes);
    asio::awaitable<std::string> token(std::shared_ptr<registry_state> reg, scope_set scopes);
    asio::awaitable<token_response> request_token(const registry_state& reg, const credential& cred,
                                                  const scope_set& scopes);

    std::map<std::string, std::shared_ptr<registry_state>, std::less<>> registries_;
    flight_map<std::string> token_flights_;
    flight_map<credential> credential_flights_;
    flight_map<bool> discovery_flights_;
};

std::shared_ptr<registry_state> client_state::registry_for(const boost::urls::url& u) {
    auto o = http::detail::origin_of(u);
    if (!o) {
        throw error(o.error());
    }
    auto key = o->str();
    auto& slot = registries_[key];
    if (!slot) {
        slot = std::make_shared<registry_state>();
        slot->origin = key;
        slot->authority = o->authority();
        slot->tls = o->tls();
        if (u.has_port() && u.port_number() == (o->tls() ? 443 : 80)) {
            slot->spelled = slot->authority + ":" + std::string(u.port());
        }
    }
    return slot;
}

void client_state::learn(registry_state& reg, const std::vector<challenge>& challenges) {
    // Bearer wins when a registry offers both: it never needs the password on every request.
    const challenge* basic = nullptr;
    for (const auto& c : challenges) {
        if (c.scheme == "bearer") {
            auto b = to_bearer(c);
            if (!b) {
                throw error(b.error().code,
                            reg.authority + " sent an unusable challenge: " + b.error().message);
            }
            reg.scheme = scheme_kind::bearer;
            reg.realm = b->realm;
            reg.service = b->service;
            return;
        }
        if (c.scheme == "basic") {
            basic = &c;
        }
    }
    if (basic != nullptr) {
        reg.scheme = scheme_kind::basic;
    }
}

asio::awaitable<void> client_state::discover(std::shared_ptr<registry_state> reg) {
    auto self = shared_from_this();
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    auto ping_registry = [&]() -> asio::awaitable<bool> {
        ++stats_.discoveries;
        http::request ping;
        ping.method = "GET";
        ping.url = detail::api_root_url(boost::urls::url(reg->origin));
        auto resp = co_await http_.send(std::move(ping));
        // As in `send`: a challenge from where a redirect led is not the registry's, and its
        // realm must not receive the registry's credentials.
        const auto answered = http::detail::origin_of(resp.url());
        if (resp.status() == 401 && answered && answered->str() == reg->origin) {
            learn(*reg, challenges_of(resp.headers(), resp.status(), reg->authority));
        }
        if (reg->scheme == scheme_kind::unknown) {
            // No usable challenge: asking again before every body would not teach more. A 401
            // on a later request still gets answered.
            reg->scheme = scheme_kind::none;
        }
        co_await resp.discard();
        co_return true;
    };
    co_await share_flight<bool>(discovery_flights_, reg->origin, ping_registry);
}

asio::awaitable<credential> client_state::credential_for(std::shared_ptr<registry_state> reg) {
    if (reg->credential_loaded || !options_.credentials) {
        co_return reg->cred;
    }
    auto self = shared_from_this();
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    auto look_up = [&]() -> asio::awaitable<credential> {
        ++stats_.credential_lookups;
        auto store = options_.credentials;
        std::string authority = reg->authority;
        std::string spelled = reg->spelled;
        // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
        std::function<result<credential>()> lookup = [store, authority, spelled] {
            if (!spelled.empty()) {
                auto found = store->get(spelled);
                if (!found || !found->empty()) {
                    return found;
                }
            }
            return store->get(authority);
        };
        auto found = co_await oras::detail::run_blocking<result<credential>>(std::move(lookup));
        if (!found) {
            throw error(found.error().code,
                        "credentials for " + reg->authority + ": " + found.error().message);
        }
        reg->cred = std::move(*found);
        reg->credential_loaded = true;
        co_return reg->cred;
    };
    co_return co_await share_flight<credential>(credential_flights_, reg->origin, look_up);
}

asio::awaitable<std::optional<std::string>> client_state::authorization(
    std::shared_ptr<registry_state> reg, const scope_set& scopes) {
    if (reg->scheme == scheme_kind::basic) {
        const auto cred = co_await credential_for(reg);
        if (!cred.username.empty() || !cred.password.empty()) {
            co_return basic_authorization(cred);
        }
    } else if (reg->scheme == scheme_kind::bearer) {
        if (auto t = cache_.find(reg->origin, scopes)) {
            co_return "Bearer " + *t;
        }
        co_return "Bearer " + co_await token(reg, scopes);
    }
    co_return std::nullopt;
}

asio::awaitable<std::string> client_state::token(std::shared_ptr<registry_state> reg,
                                                 scope_set scopes) {
    auto self = shared_from_this();
    // Named, not a temporary inside the co_await: GCC 12 mishandles the latter.
    auto fetch_token = [&]() -> asio::awaitable<std::string> {
        if (auto t = cache_.find(reg->origin, scopes)) {
            co_return *t;  // fetched while this caller waited for credentials
        }
        const auto cred = co_await credential_for(reg);
        if (!cred.registry_token.empty()) {
            co_return cred.registry_token;
        }
        auto tr = co_await request_token(*reg, cred, scopes);
        cache_.store(reg->origin, scopes, tr.token, tr.expires_in);
        if (!tr.refresh_token.empty() && !cred.empty()) {
            reg->refresh_token = tr.refresh_token;
        }
        co_return tr.token;
    };
    std::string key = reg->origin + " " + scopes.str();
    co_return co_await share_flight<std::string>(token_flights_, std::move(key), fetch_token);
}

asio::awaitable<token_response> client_state::request_token(const registry_state& reg,
                                                            const credential& cred,
                                                            const scope_set& scopes) {
    const auto parsed = boost::urls::parse_absolute_uri(reg.realm);
    const auto refuse = [&](const std::string& why) {
        return error(errc::invalid_response, reg.authority + " names the token realm "
                                                 + oras::detail::quote(reg.realm) + ", which "
                                                 + why);
    };
    if (!parsed) {
        throw refuse("is not an absolute URL");
    }
    boost::urls::url realm(*parsed);
    const auto scheme = realm.scheme_id();
    if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
        throw refuse("is not http or https");
    }
    if (reg.tls && scheme != boost::urls::scheme::https) {
        throw refuse(
            "is plain http although the registry is https: refusing to send "
            "credentials or trust tokens over it");
    }
    if (!realm.has_authority() || realm.host().empty()) {
        throw refuse("has no host");
    }
    realm.remove_fragment();

    const bool has_password = !cred.username.empty() || !cred.password.empty();
    const std::string& refresh =
        !cred.identity_token.empty() ? cred.identity_token : reg.refresh_token;
    http::request req;
    if (!refresh.empty() || (options_.force_oauth2 && has_password)) {
        std::string form;
        const auto add = [&form](std::string_view k, std::string_view v) {
            if (!form.empty()) {
                form += '&';
            }
            form += form_encode(k);
            form += '=';
            form += form_encode(v);
        };
        if (!refresh.empty()) {
            add("grant_type", "refresh_token");
            add("refresh_token", refresh);
        } else {
            add("grant_type", "password");
            add("username", cred.username);
            add("password", cred.password);
            add("access_type", "offline");
        }
        if (!reg.service.empty()) {
            add("service", reg.service);
        }
        if (!scopes.empty()) {
            add("scope", scopes.str());
        }
        add("client_id", options_.client_id);
        req.method = "POST";
        req.headers.set("Content-Type", "application/x-www-form-urlencoded");
        req.body = byte_source::from_string(std::move(form));
        req.body_has_credentials = true;
    } else {
        req.method = "GET";
        auto params = realm.params();
        if (!reg.service.empty()) {
            params.append({"service", reg.service});
        }
        for (const auto& s : scopes.strings()) {
            params.append({"scope", s});
        }
        if (has_password) {
            req.headers.set("Authorization", basic_authorization(cred));
        }
    }
    req.url = realm;
    req.headers.set("Accept", "application/json");
    ++stats_.token_requests;
    const std::string method = req.method;
    std::optional<http::client::buffered_response> fetched;
    try {
        fetched.emplace(co_await http_.fetch(std::move(req), options_.max_token_response));
    } catch (const error& e) {
        if (e.code() != errc::size_exceeds_limit) {
            throw;
        }
        // Said alone ("response body of N bytes exceeds..."), it does not say whose.
        throw error(e.code(), "the token service " + oras::detail::quote(reg.realm)
                                  + " answered with more than a token: " + e.what());
    }
    auto& resp = *fetched;

    if (resp.status == 200) {
        auto tr = parse_token_response(resp.body, reg.realm);
        if (!tr) {
            throw error(tr.error().code, tr.error().message,
                        diagnostics{method, resp.status, redact_url(resp.url.buffer()), {}});
        }
        co_return std::move(*tr);
    }
    diagnostics diag{method, resp.status, redact_url(resp.url.buffer()), {}};
    if (auto errs = parse_registry_errors(resp.body)) {
        diag.errors = std::move(*errs);
    }
    std::string detail;
    {
        // OAuth2 services answer {"error": ..., "error_description": ...}.
        oras::detail::json_document doc;
        const oras::detail::json_reader rd(errc::invalid_response);
        auto root = doc.parse(resp.body, resp.body.size() + 1, "", errc::invalid_response);
        if (auto obj = root ? rd.object(*root, "") : make_failure(errc::invalid_response, "");
            obj) {
            for (auto field : *obj) {
                // The description says more than the error code: it wins.
                if ((field.key == "error_description" || (field.key == "error" && detail.empty()))
                    && field.value.is_string()) {
                    detail = display(field.value.get_string().value_unsafe(), 200);
                }
            }
        }
    }
    const std::string service = "the token service " + oras::detail::quote(reg.realm);
    std::string message;
    errc code = errc_from_status(resp.status);
    if (resp.status == 401 || resp.status == 403) {
        code = errc::unauthorized;
        if (!refresh.empty()) {
            message = service + " refused the identity token for " + reg.authority;
        } else if (has_password) {
            message = service + " refused the credentials of user "
                      + oras::detail::quote(cred.username) + " for " + reg.authority;
        } else {
            message = reg.authority + " requires credentials: " + service
                      + " refused an anonymous request";
        }
    } else {
        message = service + " answered " + std::to_string(resp.status) + " for " + reg.authority;
    }
    if (!detail.empty()) {
        message += " (" + detail + ")";
    }
    throw error(code, message, std::move(diag));
}

asio::awaitable<http::response> client_state::send(http::request req, scope_set scopes) {
    auto self = shared_from_this();
    auto reg = registry_for(req.url);
    const bool has_body = req.body.length() != std::uint64_t{0};
    if (reg->scheme == scheme_kind::unknown && has_body) {
        co_await discover(reg);
    }
    if (reg->scheme == scheme_kind::unknown && reg->probe) {
        const auto probe = reg->probe;
        ++stats_.held;
        boost::system::error_code ec;
        co_await probe->async_wait(asio::redirect_error(use_awaitable, ec));
        const auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) {
            throw oras::detail::cancelled_error();
        }
    }
    probe_guard probing{reg, nullptr};
    if (reg->scheme == scheme_kind::unknown && !has_body && !reg->reads_open) {
        probing.timer = std::make_shared<asio::steady_timer>(http_.get_executor(),
                                                             asio::steady_timer::time_point::max());
        reg->probe = probing.timer;
    }
    const auto sent = co_await authorization(reg, scopes);
    if (sent) {
        req.headers.set("Authorization", *sent);
    }
    std::optional<http::request> again;
    if (req.body.replayable()) {
        again = req;
    }
    const bool writes = req.method != "GET" && req.method != "HEAD";
    auto resp = co_await http_.send(std::move(req));
    if (resp.status() != 401) {
        if (!writes && reg->scheme == scheme_kind::unknown) {
            reg->reads_open = true;
        }
        if (!sent && writes && reg->scheme == scheme_kind::unknown) {
            // A write let through without credentials (an upload POST, say): the registry needs
            // none, and later bodies need not wait for `GET /v2/`. Reads prove nothing: many
            // registries allow anonymous pulls but not pushes.
            reg->scheme = scheme_kind::none;
        }
        co_return resp;
    }
    // A challenge is the registry's only when the registry sent it: one from where a redirect
    // led (storage, a CDN) could name a realm of its choosing, which the registry's
    // credentials would then be sent to, for this request and every later one.
    const auto answered = http::detail::origin_of(resp.url());
    if (!answered || answered->str() != reg->origin) {
        co_return resp;
    }
    const auto challenges = challenges_of(resp.headers(), resp.status(), reg->authority);
    if (challenges.empty()) {
        co_return resp;
    }
    ++stats_.challenges;
    learn(*reg, challenges);
    probing.release();  // the scheme is known: the waiting requests can authorise themselves
    if (!again) {
        co_return resp;  // a streamed body cannot be sent twice: the caller decides
    }

    std::optional<std::string> answer;
    if (reg->scheme == scheme_kind::basic) {
        const auto cred = co_await credential_for(reg);
        if (cred.username.empty() && cred.password.empty()) {
            co_return resp;
        }
        answer = basic_authorization(cred);
        if (sent && *sent == *answer) {
            co_return resp;  // these credentials were refused already
        }
        co_await resp.discard();
    } else if (reg->scheme == scheme_kind::bearer) {
        const auto cred = co_await credential_for(reg);
        if (!cred.registry_token.empty()) {
            answer = "Bearer " + cred.registry_token;
            if (sent && *sent == *answer) {
                co_return resp;  // a fixed token was refused: nothing better to offer
            }
            co_await resp.discard();
        } else {
            if (sent && sent->starts_with("Bearer ")) {
                cache_.erase_token(reg->origin, std::string_view(*sent).substr(7));
            }
            // The challenge may name more than the operation asked for (a push of a blob
            // mounted from another repository); a token for the union answers both.
            for (const auto& c : challenges) {
                if (c.scheme == "bearer") {
                    if (auto b = to_bearer(c)) {
                        for (const auto& s : b->scopes) {
                            if (auto parsed = scope::parse(s)) {
                                scopes.add(*parsed);
                            }
                        }
                    }
                    break;
                }
            }
            co_await resp.discard();
            answer = "Bearer " + co_await token(reg, scopes);
        }
    } else {
        co_return resp;
    }
    again->headers.set("Authorization", *answer);
    ++stats_.retried;
    co_return co_await http_.send(std::move(*again));
}

}  // namespace detail

client::client(http::client http, client_options options)
    : state_(std::make_shared<detail::client_state>(std::move(http), std::move(options))) {}

asio::awaitable<http::response> client::send(http::request req, scope_set scopes) {
    auto state = state_;
    co_return co_await state->send(std::move(req), std::move(scopes));
}

asio::awaitable<http::client::buffered_response> client::fetch(http::request req, scope_set scopes,
                                                               std::size_t limit) {
    auto state = state_;
    auto resp = co_await state->send(std::move(req), std::move(scopes));
    http::client::buffered_response out;
    out.body =
        co_await resp.read_all(limit == 0 ? state->http_.options().default_body_limit : limit);
    out.status = resp.status();
    out.headers = resp.headers();
    out.url = resp.url();
    co_return out;
}

void client::clear() {
    state_->clear();
}

http::client& client::http() noexcept {
    return state_->http_;
}

const client_options& client::options() const noexcept {
    return state_->options_;
}

client_stats client::stats() const noexcept {
    return state_->stats_;
}

}  // namespace oras::auth
