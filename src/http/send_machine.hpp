// Internal: what `client::send` decides between attempts — retry, follow a redirect, hand the
// response over, or fail — as a state machine without I/O. The client feeds it what each
// attempt ended with and carries out the action it returns.
#pragma once

#include "http/policy.hpp"

#include <oras/http/client_options.hpp>

#include <chrono>
#include <optional>

namespace oras::http::detail {

/// What sending a request again depends on.
struct request_traits {
    /// The body can be produced again (bytes, a file; not a one-shot generator).
    bool replayable = false;
    /// GET, HEAD, PUT, DELETE, OPTIONS, TRACE: sending it twice does no more than once.
    bool idempotent = false;
    /// No body at all (an empty POST only opens another upload session).
    bool body_empty = true;
};

/// An attempt that ended without a response.
struct attempt_failed {
    /// The caller's cancellation stopped it.
    bool cancelled = false;
    /// A pooled connection failed as it was reused: the server had closed it meanwhile.
    bool stale_candidate = false;
    /// Nothing of the request went out (the connection was never made).
    bool nothing_sent = false;
    /// The response was malformed (not a lost connection): sending again would repeat it.
    bool protocol_error = false;
};

/// An attempt that got a response head.
struct attempt_answered {
    unsigned status = 0;
    /// For a 3xx whose Location `plan_redirect` says to follow: how.
    std::optional<redirect_plan> redirect{};
    /// A parseable `Retry-After` of a 429 or 503.
    std::optional<std::chrono::milliseconds> retry_after{};
};

/// What the client does next.
struct send_action {
    enum class kind {
        retry,            ///< send again (after `backoff` when set)
        follow_redirect,  ///< send to the Location, as `redirect` says
        deliver,          ///< hand this response to the caller
        fail,             ///< throw the attempt's transport error
        cancelled,        ///< throw `errc::cancelled`
        too_many_redirects,
    };
    kind what = kind::deliver;
    /// retry: wait the backoff for retry number `retry_number` first, at least
    /// `backoff_at_least`. Not set: at once (a stale pooled connection, on a fresh one).
    bool backoff = false;
    unsigned retry_number = 0;
    std::chrono::milliseconds backoff_at_least{0};
    /// follow_redirect: how.
    std::optional<redirect_plan> redirect{};
    /// The registry asked the client (not this request) to slow down: hold new requests to
    /// the origin back this long. Set with any kind.
    std::optional<std::chrono::milliseconds> pause_origin{};
};

/// The decisions of one `client::send`: at most `max_retries` retries with backoff (plus one
/// immediate retry on a stale pooled connection), at most `max_redirects` redirects.
class send_machine {
  public:
    send_machine(retry_options retry, unsigned max_redirects) noexcept
        : retry_(retry), max_redirects_(max_redirects) {}

    send_action on_failed(const attempt_failed& f, const request_traits& r) noexcept;
    send_action on_answered(const attempt_answered& a, const request_traits& r) noexcept;

    unsigned retries() const noexcept { return retries_; }
    unsigned redirects() const noexcept { return redirects_; }

  private:
    send_action retry_with_backoff(std::chrono::milliseconds at_least) noexcept;

    retry_options retry_;
    unsigned max_redirects_;
    unsigned retries_ = 0;
    unsigned redirects_ = 0;
    bool stale_retry_used_ = false;
};

}  // namespace oras::http::detail
