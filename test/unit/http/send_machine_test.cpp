// The decisions of client::send, event by event, without a socket.
#include "http/send_machine.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

namespace {

using namespace std::chrono_literals;
using oras::http::detail::attempt_answered;
using oras::http::detail::attempt_failed;
using oras::http::detail::redirect_plan;
using oras::http::detail::request_traits;
using oras::http::detail::send_action;
using oras::http::detail::send_machine;
using kind = send_action::kind;

const request_traits get{.replayable = true, .idempotent = true, .body_empty = true};
const request_traits put_file{.replayable = true, .idempotent = true, .body_empty = false};
const request_traits post_empty{.replayable = true, .idempotent = false, .body_empty = true};
const request_traits post_bytes{.replayable = true, .idempotent = false, .body_empty = false};
const request_traits patch_stream{.replayable = false, .idempotent = false, .body_empty = false};

// One action as text: `retry`, `retry+backoff(n>=ms)`, `deliver`, `pause(ms)`... so that a
// sequence reads as one line.
std::string str(const send_action& a) {
    std::string s;
    switch (a.what) {
        case kind::retry:
            s = a.backoff ? "backoff(" + std::to_string(a.retry_number)
                                + ">=" + std::to_string(a.backoff_at_least.count()) + ")"
                          : "retry";
            break;
        case kind::follow_redirect:
            s = "redirect(" + a.redirect->method + (a.redirect->keep_body ? ",body" : "")
                + (a.redirect->drop_credentials ? ",nocreds" : "") + ")";
            break;
        case kind::deliver:
            s = "deliver";
            break;
        case kind::fail:
            s = "fail";
            break;
        case kind::cancelled:
            s = "cancelled";
            break;
        case kind::too_many_redirects:
            s = "too_many_redirects";
            break;
    }
    if (a.pause_origin) {
        s += "+pause(" + std::to_string(a.pause_origin->count()) + ")";
    }
    return s;
}

using event = std::variant<attempt_failed, attempt_answered>;

struct row {
    const char* what;
    request_traits request;
    std::vector<event> events;
    std::vector<std::string> actions;
};

const attempt_failed reset{};
const attempt_failed refused{.nothing_sent = true};
const attempt_failed stale{.stale_candidate = true};
const attempt_failed garbled{.protocol_error = true};
const attempt_failed aborted{.cancelled = true};

attempt_answered status(unsigned s, std::optional<std::chrono::milliseconds> retry_after = {}) {
    return {.status = s, .retry_after = retry_after};
}
attempt_answered redirect(std::string method, bool keep_body, bool drop_credentials) {
    return {.status = 307,
            .redirect = redirect_plan{std::move(method), keep_body, drop_credentials}};
}

std::vector<row> rows() {
    return {
        {"a 200 is delivered", get, {status(200)}, {"deliver"}},
        {"a 404 is delivered: the caller reads it", get, {status(404)}, {"deliver"}},
        {"connection failures back off, up to max_retries (3)",
         get,
         {reset, reset, reset, reset},
         {"backoff(0>=0)", "backoff(1>=0)", "backoff(2>=0)", "fail"}},
        {"a refused connection retries even a one-shot stream: nothing was sent",
         patch_stream,
         {refused, reset},
         {"backoff(0>=0)", "fail"}},
        {"a cut non-idempotent request is not sent again", post_bytes, {reset}, {"fail"}},
        {"a malformed response is not asked for again", get, {garbled}, {"fail"}},
        {"a stale pooled connection: once at once, then the backoff",
         get,
         {stale, stale, status(200)},
         {"retry", "backoff(0>=0)", "deliver"}},
        {"a stale connection under an empty POST: at once (only opens a session)",
         post_empty,
         {stale},
         {"retry"}},
        {"a stale connection under a POST with a body: not sent twice",
         post_bytes,
         {stale},
         {"fail"}},
        {"cancellation ends it whatever is left",
         get,
         {reset, aborted},
         {"backoff(0>=0)", "cancelled"}},
        {"503 and 500 are retried for GET",
         get,
         {status(503), status(500), status(200)},
         {"backoff(0>=0)", "backoff(1>=0)", "deliver"}},
        {"a 502 after a POST may have been acted on: delivered",
         post_bytes,
         {status(502)},
         {"deliver"}},
        {"so may a 504", post_bytes, {status(504)}, {"deliver"}},
        {"429 and 503 were not acted on: a POST goes again",
         post_bytes,
         {status(429), status(503), status(201)},
         {"backoff(0>=0)", "backoff(1>=0)", "deliver"}},
        {"a one-shot body is never sent again", patch_stream, {status(503)}, {"deliver"}},
        {"Retry-After sets the least wait and pauses the origin",
         get,
         {status(429, 2000ms), status(200)},
         {"backoff(0>=2000)+pause(2000)", "deliver"}},
        {"a Retry-After past max_retry_after is not waited for; the origin pauses at most that",
         get,
         {status(503, 120'000ms)},
         {"deliver+pause(60000)"}},
        {"Retry-After on a 429 that cannot be retried still pauses the origin",
         patch_stream,
         {status(429, 1000ms)},
         {"deliver+pause(1000)"}},
        {"statuses past the retries are delivered",
         get,
         {status(503), status(503), status(503), status(503)},
         {"backoff(0>=0)", "backoff(1>=0)", "backoff(2>=0)", "deliver"}},
        {"redirects are followed as planned, then refused past max_redirects (2 here)",
         get,
         {redirect("GET", false, true), redirect("GET", false, false),
          redirect("GET", false, false)},
         {"redirect(GET,nocreds)", "redirect(GET)", "too_many_redirects"}},
        {"retries and redirects are counted apart",
         put_file,
         {reset, redirect("PUT", true, false), status(500), status(201)},
         {"backoff(0>=0)", "redirect(PUT,body)", "backoff(1>=0)", "deliver"}},
    };
}

TEST(send_machine, decisions_event_by_event) {
    for (const auto& r : rows()) {
        send_machine m({.max_retries = 3,
                        .base_delay = 250ms,
                        .max_delay = 8000ms,
                        .max_retry_after = 60'000ms},
                       2);
        std::vector<std::string> got;
        for (const auto& e : r.events) {
            if (const auto* f = std::get_if<attempt_failed>(&e)) {
                got.push_back(str(m.on_failed(*f, r.request)));
            } else {
                got.push_back(str(m.on_answered(std::get<attempt_answered>(e), r.request)));
            }
        }
        EXPECT_EQ(got, r.actions) << r.what;
    }
}

TEST(send_machine, no_retries_configured) {
    send_machine m({.max_retries = 0}, 0);
    EXPECT_EQ(str(m.on_failed(refused, get)), "fail");
    EXPECT_EQ(str(m.on_answered(status(503), get)), "deliver");
    EXPECT_EQ(str(m.on_answered(redirect("GET", false, false), get)), "too_many_redirects");
    // The stale-connection retry is not a backoff retry: it stays available.
    EXPECT_EQ(str(m.on_failed(stale, get)), "retry");
    EXPECT_EQ(m.retries(), 0u);
}

}  // namespace
