// The HTTP client: the send loop (a driver around send_machine) and the public client type.
// The transport's other parts: connect.cpp, pool.cpp, exchange.cpp (see client_state.hpp).
#include "http/client_state.hpp"

namespace oras::http {

namespace {

// The request a failure is about, for its diagnostics (credentials redacted from the URL).
diagnostics about(const request& req) {
    diagnostics d;
    d.method = req.method;
    d.url = redact_url(req.url.buffer());
    return d;
}

}  // namespace

namespace detail {

asio::awaitable<response> client_state::send(request req) {
    // Extra fields the request does not set itself; named so that a redirect to another origin
    // drops them with the credentials.
    std::vector<std::string> extra_names;
    for (const auto& field : options_.extra_headers) {
        const auto& name = field.first;
        const bool own = req.headers.contains(name)
                         && std::none_of(extra_names.begin(), extra_names.end(),
                                         [&](const std::string& n) { return iequals(n, name); });
        if (!own) {
            req.headers.add(name, field.second);
            extra_names.push_back(name);
        }
    }
    for (const auto& [name, value] : req.headers) {
        if (auto ok = validate_field(name, value); !ok) {
            throw error(ok.error());
        }
    }
    if (!validate_field(req.method, "")) {
        throw error(errc::invalid_argument,
                    "invalid HTTP method " + oras::detail::quote(req.method));
    }
    if (auto ok = validate_field("User-Agent", options_.user_agent); !ok) {
        throw error(ok.error());
    }
    send_machine machine(options_.retry, options_.max_redirects);
    for (unsigned attempt_no = 0;; ++attempt_no) {
        auto target = origin_of(req.url);
        if (!target) {
            throw error(target.error());
        }
        co_await wait_if_paused(*target);
        const auto start = std::chrono::steady_clock::now();
        attempt_failure failure;
        response r = co_await attempt(req, *target, failure);
        const request_traits traits{.replayable = req.body.replayable(),
                                    .idempotent = req.idempotent(),
                                    .body_empty = req.body.empty()};
        if (failure.ec) {
            log(req, 0, {}, failure.ec, attempt_no, start);
            const auto act =
                machine.on_failed({.cancelled = failure.ec == asio::error::operation_aborted,
                                   .stale_candidate = failure.stale_candidate,
                                   .nothing_sent = failure.nothing_sent,
                                   .protocol_error = is_protocol_error(failure.ec)},
                                  traits);
            if (act.what == send_action::kind::retry) {
                if (act.backoff) {
                    co_await pause_before_retry(act.retry_number, act.backoff_at_least);
                }
                continue;
            }
            if (act.what == send_action::kind::cancelled) {
                throw oras::detail::cancelled_error("cancelled", about(req));
            }
            const bool timeout = failure.ec == beast::error::timeout;
            const std::string message = timeout ? failure.what + " (timed out)" : failure.what;
            throw error(timeout ? make_error_code(asio::error::timed_out) : failure.ec, message,
                        about(req));
        }
        log(req, r.status(), r.headers(), {}, attempt_no, start);

        attempt_answered answer{.status = r.status()};
        std::optional<boost::urls::url> next;
        if (auto location = r.headers().find("location");
            location && r.status() >= 300 && r.status() < 400) {
            auto resolved = resolve_location(req.url, *location);
            if (!resolved) {
                throw error(resolved.error());
            }
            auto to = origin_of(*resolved);
            auto plan = plan_redirect(r.status(), req.method, *target, *to, traits.replayable);
            if (!plan) {
                throw error(plan.error());
            }
            // http -> https on the same host and port, or from 80 to 443, is the same server
            // made safer: followed. Another port of the host (https to https included) may be
            // another server, which the body's credentials are not for.
            const bool upgrade =
                !target->tls() && to->tls() && to->host == target->host
                && (to->port == target->port || (target->port == 80 && to->port == 443));
            if (*plan && (*plan)->keep_body && (*plan)->drop_credentials && !upgrade
                && req.body_has_credentials) {
                throw error(errc::invalid_response,
                            "refusing a redirect from " + target->str() + " to " + to->str()
                                + ": the request's body carries credentials",
                            about(req));
            }
            answer.redirect = std::move(*plan);
            next = std::move(*resolved);
        }
        if (r.status() == 429 || r.status() == 503) {
            if (auto ra = r.headers().find("retry-after")) {
                answer.retry_after = parse_retry_after(*ra, std::chrono::system_clock::now());
            }
        }
        const auto act = machine.on_answered(answer, traits);
        if (act.pause_origin) {
            pause_origin(*target, *act.pause_origin);
        }
        switch (act.what) {
            case send_action::kind::too_many_redirects:
                throw error(errc::unexpected_status,
                            "stopped after " + std::to_string(machine.redirects())
                                + " redirects at " + redact_url(req.url.buffer()));
            case send_action::kind::follow_redirect: {
                co_await r.discard();
                ++stats_.redirects;
                req.url = std::move(*next);
                const auto& plan = *act.redirect;
                if (plan.method != req.method) {
                    req.method = plan.method;
                }
                if (!plan.keep_body) {
                    req.body = byte_source();
                    for (const char* h : {"content-type", "content-encoding", "content-range",
                                          "content-md5", "digest"}) {
                        req.headers.erase(h);
                    }
                }
                if (plan.drop_credentials) {
                    req.headers.erase("authorization");
                    req.headers.erase("proxy-authorization");
                    req.headers.erase("cookie");
                    for (const auto& name : extra_names) {
                        req.headers.erase(name);
                    }
                }
                continue;
            }
            case send_action::kind::retry:
                co_await r.discard();
                co_await pause_before_retry(act.retry_number, act.backoff_at_least);
                continue;
            default:
                co_return r;
        }
    }
}

}  // namespace detail

client::client(asio::any_io_executor executor, client_options options)
    : state_(std::make_shared<detail::client_state>(std::move(executor), std::move(options))) {}

namespace {

// Asio reports cancellation and timer failures as boost::system::system_error; callers of the
// client see oras::error only, and every cancellation as errc::cancelled.
[[noreturn]] void rethrow_as_oras(const boost::system::system_error& e, const request& req) {
    if (e.code() == asio::error::operation_aborted) {
        throw oras::detail::cancelled_error("cancelled", about(req));
    }
    throw error(e.code(), "request failed", about(req));
}

}  // namespace

asio::awaitable<response> client::send(request req) {
    const std::string method = req.method;
    const boost::urls::url where = req.url;
    // The state lives as long as this operation, even if the last client copy goes away.
    const auto state = state_;
    try {
        co_return co_await state->send(std::move(req));
    } catch (const boost::system::system_error& e) {
        request context;
        context.method = method;
        context.url = where;
        rethrow_as_oras(e, context);
    }
}

asio::awaitable<client::buffered_response> client::fetch(request req, std::size_t limit) {
    auto r = co_await send(std::move(req));
    buffered_response out;
    out.body = co_await r.read_all(limit == 0 ? state_->options().default_body_limit : limit);
    out.status = r.status();
    out.headers = r.headers();
    out.url = r.url();
    co_return out;
}

const client_options& client::options() const noexcept {
    return state_->options();
}
client_stats client::stats() const noexcept {
    return state_->stats();
}
asio::any_io_executor client::get_executor() const noexcept {
    return state_->executor();
}
void client::close_idle() {
    state_->close_idle();
}

}  // namespace oras::http
