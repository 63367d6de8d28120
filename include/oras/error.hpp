// oras::error: the exception thrown by coroutine-side operations.
#pragma once

#include <oras/diagnostics.hpp>
#include <oras/result.hpp>

#include <exception>
#include <memory>
#include <string>
#include <system_error>

#pragma GCC visibility push(default)

namespace oras {

/// A `std::system_error` whose `code()` compares equal to an `oras::errc` (or to an Asio or
/// system error for transport failures), carrying the request's `diagnostics`. Copying is cheap
/// and cannot throw: the diagnostics are shared.
class error : public std::system_error {
  public:
    /// `what()` is `message` followed by `diag.summary()` in parentheses, or `message` alone
    /// when `diag` is empty, or the summary alone when `message` is.
    error(std::error_code code, const std::string& message, diagnostics diag = {});
    /// The failure's code and message, with empty diagnostics (what `result::value()` throws).
    explicit error(const failure& f);

    /// The request's context; empty for a local failure. Valid while this error (or a copy of
    /// it) lives.
    const diagnostics& diag() const noexcept { return *diag_; }

  private:
    std::shared_ptr<const diagnostics> diag_;
};

/// Whether `ec` is a cancellation: `errc::cancelled`, or the forms Asio and the standard
/// library use (`operation_aborted`, `std::errc::operation_canceled`), which the library turns
/// into `errc::cancelled` before they reach a caller.
bool is_cancelled(const std::error_code& ec) noexcept;
/// The same for a thrown exception (an `oras::error`, any `std::system_error`, Boost's
/// `system_error`); false for anything else and for a null pointer.
bool is_cancelled(const std::exception_ptr& e) noexcept;

/// Whether doing the same again may succeed without anyone changing anything: a connection that
/// failed, dropped or timed out, a response cut short on the wire (Beast's `partial_message`),
/// a name lookup to try again, a registry briefly unavailable (`errc::unavailable`, 5xx) or
/// rate-limiting (`errc::too_many_requests`). Not transient: cancellation, TLS handshake and
/// certificate failures, a host that does not exist, malformed responses
/// (`errc::invalid_response`), verification failures (`digest_mismatch`, ...), refusals
/// (`not_found`, `unauthorized`, `denied`, ...) and local errors (a full disk). The library's own
/// resumes and retries ask this; programs can ask it to decide whether to try again later.
bool is_transient(const std::error_code& ec) noexcept;
/// The same for a thrown exception; false for anything that carries no error code.
bool is_transient(const std::exception_ptr& e) noexcept;

}  // namespace oras

#pragma GCC visibility pop
