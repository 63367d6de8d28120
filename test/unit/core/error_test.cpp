// One cancellation code, and which failures are worth trying again.
#include <oras/errc.hpp>
#include <oras/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/system/system_error.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace {

namespace asio = boost::asio;
using oras::errc;

std::exception_ptr oras_error(std::error_code ec) {
    return std::make_exception_ptr(oras::error(ec, "x"));
}

std::exception_ptr boost_error(boost::system::error_code ec) {
    return std::make_exception_ptr(boost::system::system_error(ec));
}

TEST(error_classifier, every_form_of_cancellation_is_one) {
    const std::error_code forms[] = {
        make_error_code(errc::cancelled),
        std::make_error_code(std::errc::operation_canceled),
        std::error_code(boost::system::error_code(asio::error::operation_aborted)),
    };
    for (const auto& ec : forms) {
        EXPECT_TRUE(oras::is_cancelled(ec)) << ec.message();
        EXPECT_TRUE(oras::is_cancelled(oras_error(ec))) << ec.message();
        EXPECT_FALSE(oras::is_transient(ec)) << ec.message();
    }
    EXPECT_TRUE(oras::is_cancelled(boost_error(asio::error::operation_aborted)));
    EXPECT_FALSE(oras::is_transient(boost_error(asio::error::operation_aborted)));
    EXPECT_FALSE(oras::is_cancelled(oras_error(make_error_code(errc::unavailable))));
    EXPECT_FALSE(oras::is_cancelled(std::exception_ptr()));
    EXPECT_FALSE(oras::is_cancelled(std::make_exception_ptr(std::runtime_error("x"))));
    EXPECT_EQ(make_error_code(errc::cancelled).message(), "operation cancelled");
}

TEST(error_classifier, transient_failures) {
    struct row {
        std::error_code ec;
        bool transient;
    };
    const auto sys = [](int e) { return std::error_code(e, std::system_category()); };
    const auto boost_ec = [](boost::system::error_code e) { return std::error_code(e); };
    const row table[] = {
        // The registry, briefly.
        {make_error_code(errc::unavailable), true},
        {make_error_code(errc::too_many_requests), true},
        // The network.
        {sys(ECONNRESET), true},
        {sys(ECONNREFUSED), true},
        {sys(ETIMEDOUT), true},
        {sys(EHOSTUNREACH), true},
        {sys(EPIPE), true},
        {sys(ENOTCONN), true},
        {boost_ec(asio::error::eof), true},
        {boost_ec(asio::error::host_not_found_try_again), true},
        {boost_ec(asio::error::timed_out), true},
        {boost_ec(boost::beast::error::timeout), true},
        {boost_ec(boost::beast::http::error::partial_message), true},
        // What another try would only repeat.
        {make_error_code(errc::invalid_response), false},  // malformed, not cut
        {boost_ec(asio::error::host_not_found), false},
        {boost_ec(asio::error::service_not_found), false},
        {boost_ec(asio::ssl::error::stream_truncated), false},
        {boost_ec(boost::system::error_code(336151568, asio::error::get_ssl_category())), false},
        {make_error_code(errc::digest_mismatch), false},
        {make_error_code(errc::size_mismatch), false},
        {make_error_code(errc::not_found), false},
        {make_error_code(errc::unauthorized), false},
        {make_error_code(errc::denied), false},
        {make_error_code(errc::invalid_argument), false},
        {make_error_code(errc::upload_invalid), false},
        {make_error_code(errc::cancelled), false},
        {sys(ENOSPC), false},
        {sys(EACCES), false},
        {sys(ENOENT), false},
        {sys(EROFS), false},
        {sys(EIO), false},
        {std::error_code(), false},
    };
    for (const auto& r : table) {
        EXPECT_EQ(oras::is_transient(r.ec), r.transient)
            << r.ec.category().name() << ": " << r.ec.message();
        EXPECT_EQ(oras::is_transient(oras_error(r.ec)), r.transient) << r.ec.message();
    }
    EXPECT_TRUE(oras::is_transient(boost_error(asio::error::connection_reset)));
    EXPECT_FALSE(oras::is_transient(std::make_exception_ptr(std::runtime_error("x"))));
    EXPECT_FALSE(oras::is_transient(std::exception_ptr()));
}

}  // namespace
