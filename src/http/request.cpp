#include <oras/http/request.hpp>

namespace oras::http {

bool request::idempotent() const noexcept {
    return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE"
           || method == "OPTIONS";
}

}  // namespace oras::http
