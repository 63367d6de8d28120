// result<T>: the return type of pure functions that can fail (parsers, validators).
#pragma once

#include <oras/errc.hpp>

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <system_error>

#pragma GCC visibility push(default)

namespace oras {

/// A failure of a pure function: a code for programs, a message for people that names the
/// offending part of the input ("tag \"a b\" contains ' '").
struct failure {
    /// An `oras::errc` for the failures this library makes; test it with `f == errc::...`.
    std::error_code code;
    /// For people, naming the offending part of the input; not meant to be parsed.
    std::string message;

    /// True when `code` is `e`: `r.error() == errc::invalid_digest`.
    friend bool operator==(const failure& f, errc e) noexcept { return f.code == e; }
};

inline failure make_failure(errc code, std::string message) {
    return failure{make_error_code(code), std::move(message)};
}

/// `boost::system::result` carrying a `failure`. `value()` on an error throws `oras::error`.
template <class T>
using result = boost::system::result<T, failure>;

/// Found by `boost::system::result::value()` through ADL; throws `oras::error`.
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

}  // namespace oras

#pragma GCC visibility pop
