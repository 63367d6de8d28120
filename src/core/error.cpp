#include <oras/error.hpp>

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

}  // namespace oras
