#include <oras/error.hpp>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/system/system_error.hpp>

#include <cerrno>

namespace oras {
namespace {

std::string compose(const std::string& message, const diagnostics& diag) {
    if (diag.empty()) {
        return message;
    }
    return message.empty() ? diag.summary() : message + " (" + diag.summary() + ")";
}

}  // namespace

error::error(std::error_code code, const std::string& message, diagnostics diag)
    : std::system_error(code, compose(message, diag)),
      diag_(std::make_shared<const diagnostics>(std::move(diag))) {}

error::error(const failure& f) : error(f.code, f.message) {}

void throw_exception_from_error(const failure& f, const boost::source_location&) {
    throw error(f);
}

bool is_cancelled(const std::error_code& ec) noexcept {
    // Asio's operation_aborted is ECANCELED in the system category, which compares equal to
    // std::errc::operation_canceled.
    return ec == errc::cancelled || ec == std::errc::operation_canceled;
}

namespace {

// Classifies whatever `e` holds by its error code; `otherwise` for exceptions without one.
template <class F>
bool by_code(const std::exception_ptr& e, F f) noexcept {
    if (!e) {
        return false;
    }
    try {
        std::rethrow_exception(e);
    } catch (const std::system_error& x) {
        return f(x.code());
    } catch (const boost::system::system_error& x) {
        return f(std::error_code(x.code()));
    } catch (...) {
        return false;
    }
}

bool is_tls_failure(const std::error_code& ec) noexcept {
    // OpenSSL's errors (a handshake or a certificate refused) would fail the same way again.
    // A stream truncated without close_notify is a connection that dropped, but it has always
    // been treated with them: its category is Asio's TLS stream category.
    const std::error_category& openssl = boost::asio::error::get_ssl_category();
    const std::error_category& stream = boost::asio::ssl::error::get_stream_category();
    return ec.category() == openssl || ec.category() == stream;
}

}  // namespace

bool is_cancelled(const std::exception_ptr& e) noexcept {
    return by_code(e, [](const std::error_code& ec) { return is_cancelled(ec); });
}

bool is_transient(const std::error_code& ec) noexcept {
    if (!ec || is_cancelled(ec)) {
        return false;
    }
    if (ec.category() == oras_category()) {
        switch (static_cast<errc>(ec.value())) {
            case errc::unavailable:
            case errc::too_many_requests:
                return true;
            default:
                return false;
        }
    }
    if (ec.category() == std::system_category() || ec.category() == std::generic_category()) {
        // Sockets fail with many errnos (reset, refused, unreachable, a pipe broken, not
        // connected any more...), all worth another try; the file system's stay as they are.
        switch (ec.value()) {
            case ENOSPC:
            case EDQUOT:
            case EFBIG:
            case EROFS:
            case EACCES:
            case EPERM:
            case ENOENT:
            case ENOTDIR:
            case EISDIR:
            case EEXIST:
            case ENOTEMPTY:
            case ENAMETOOLONG:
            case ELOOP:
            case EXDEV:
            case EBADF:
            case EINVAL:
            case EMFILE:
            case ENFILE:
            case EIO:
            case ENOMEM:
            case ENOSYS:
            case EOPNOTSUPP:
                return false;
            default:
                return true;
        }
    }
    // Name lookups: only "try again" is the resolver's own passing trouble; a name that does not
    // exist stays so.
    if (ec.category()
        == static_cast<const std::error_category&>(boost::asio::error::get_netdb_category())) {
        return ec.value() == boost::asio::error::host_not_found_try_again;
    }
    if (ec.category()
        == static_cast<const std::error_category&>(boost::asio::error::get_addrinfo_category())) {
        return false;
    }
    if (ec.category()
        == static_cast<const std::error_category&>(boost::asio::error::get_misc_category())) {
        return ec.value() == boost::asio::error::eof;
    }
    // The transport's other codes (Beast's): a message cut short or garbled on the wire, a
    // stalled read.
    return !is_tls_failure(ec);
}

bool is_transient(const std::exception_ptr& e) noexcept {
    return by_code(e, [](const std::error_code& ec) { return is_transient(ec); });
}

}  // namespace oras
