// Internal: adding context to an error on its way up, without repeating what it already says.
#pragma once

#include <oras/error.hpp>

#include <string>
#include <string_view>
#include <system_error>

namespace oras::detail {

/// The message an error was made with: `what()` without what `oras::error` (the diagnostics
/// summary) and `std::system_error` (the code's message) append to it.
inline std::string message_of(const std::system_error& e) {
    std::string_view m = e.what();
    if (const auto tail = ": " + e.code().message(); m.ends_with(tail)) {
        m.remove_suffix(tail.size());
    }
    if (const auto* oe = dynamic_cast<const oras::error*>(&e); oe && !oe->diag().empty()) {
        if (const auto tail = " (" + oe->diag().summary() + ")"; m.ends_with(tail)) {
            m.remove_suffix(tail.size());
        }
    }
    return std::string(m);
}

/// Call in a catch handler: rethrows the error being handled with `what` in front of its
/// message, keeping its code and diagnostics. Exceptions that are not errors pass unchanged.
[[noreturn]] inline void rethrow_with(std::string_view what) {
    try {
        throw;
    } catch (const oras::error& e) {
        throw oras::error(e.code(), std::string(what) + ": " + message_of(e), e.diag());
    } catch (const std::system_error& e) {
        throw oras::error(e.code(), std::string(what) + ": " + message_of(e));
    }
}

}  // namespace oras::detail
