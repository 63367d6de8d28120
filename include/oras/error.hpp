// oras::error: the exception thrown by coroutine-side operations.
#pragma once

#include <oras/diagnostics.hpp>
#include <oras/result.hpp>

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

}  // namespace oras

#pragma GCC visibility pop
