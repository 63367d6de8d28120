// Internal: the one form a cancellation takes when the library reports it.
#pragma once

#include <oras/errc.hpp>
#include <oras/error.hpp>

#include <string>
#include <utility>

namespace oras::detail {

/// `errc::cancelled`, whatever noticed the cancellation (an Asio operation aborted, a wait
/// woken by the caller's cancellation slot): callers test one code, or `is_cancelled`.
inline error cancelled_error(const std::string& what = "cancelled", diagnostics diag = {}) {
    return error(make_error_code(errc::cancelled), what, std::move(diag));
}

}  // namespace oras::detail
