#include "http/send_machine.hpp"

#include <algorithm>

namespace oras::http::detail {

send_action send_machine::retry_with_backoff(std::chrono::milliseconds at_least) noexcept {
    send_action a;
    a.what = send_action::kind::retry;
    a.backoff = true;
    a.retry_number = retries_++;
    a.backoff_at_least = at_least;
    return a;
}

send_action send_machine::on_failed(const attempt_failed& f, const request_traits& r) noexcept {
    if (f.cancelled) {
        return {.what = send_action::kind::cancelled};
    }
    // The server closed a pooled connection as we reused it: once, on a fresh one, when sending
    // again cannot do harm (an empty-bodied POST only opens another upload).
    if (f.stale_candidate && r.replayable && !stale_retry_used_ && (r.idempotent || r.body_empty)) {
        stale_retry_used_ = true;
        return {.what = send_action::kind::retry};
    }
    // Nothing sent (connect failed): any request may go again, even a generator's, which has
    // not been read yet. Otherwise only replayable idempotent requests, and never after a
    // malformed response.
    const bool may_retry = f.nothing_sent || (r.replayable && r.idempotent && !f.protocol_error);
    if (may_retry && retries_ < retry_.max_retries) {
        return retry_with_backoff(std::chrono::milliseconds::zero());
    }
    return {.what = send_action::kind::fail};
}

send_action send_machine::on_answered(const attempt_answered& a, const request_traits& r) noexcept {
    if (a.redirect) {
        if (redirects_ >= max_redirects_) {
            return {.what = send_action::kind::too_many_redirects};
        }
        ++redirects_;
        return {.what = send_action::kind::follow_redirect, .redirect = a.redirect};
    }
    std::optional<std::chrono::milliseconds> pause;
    if ((a.status == 429 || a.status == 503) && a.retry_after) {
        pause = std::min(*a.retry_after, retry_.max_retry_after);
    }
    // 502/504 may come after a gateway forwarded the request: only idempotent requests go
    // again then. 408, 429 and 503 mean it was not acted on.
    const bool status_retryable =
        is_retryable_status(a.status)
        && (r.idempotent || a.status == 408 || a.status == 429 || a.status == 503);
    if (status_retryable && r.replayable && retries_ < retry_.max_retries) {
        auto at_least = std::chrono::milliseconds::zero();
        if (pause) {
            if (*a.retry_after > retry_.max_retry_after) {
                // Longer than we are willing to wait: the caller decides.
                return {.what = send_action::kind::deliver, .pause_origin = pause};
            }
            at_least = *a.retry_after;
        }
        auto act = retry_with_backoff(at_least);
        act.pause_origin = pause;
        return act;
    }
    return {.what = send_action::kind::deliver, .pause_origin = pause};
}

}  // namespace oras::http::detail
