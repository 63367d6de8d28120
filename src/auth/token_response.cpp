#include "auth/token_response.hpp"

#include <oras/error.hpp>

#include "core/json_reader.hpp"
#include "core/quote.hpp"

#include <cstdint>

namespace oras::auth::detail {

result<token_response> parse_token_response(std::string_view body, std::string_view realm) {
    const std::string what = "token response from " + oras::detail::quote(realm);
    oras::detail::json_document doc;
    const oras::detail::json_reader rd(errc::invalid_response);
    auto root = doc.parse(body, body.size() + 1, what, errc::invalid_response);
    if (!root) {
        return root.error();
    }
    auto obj = rd.object(*root, "");
    if (!obj) {
        return make_failure(errc::invalid_response, what + " is not a JSON object");
    }
    token_response out;
    std::string access_token;
    for (auto field : *obj) {
        if (field.key == "token" || field.key == "access_token" || field.key == "refresh_token") {
            auto v = rd.string(field.value, field.key);
            if (!v) {
                return make_failure(errc::invalid_response, what + ": " + v.error().message);
            }
            (field.key == "token"          ? out.token
             : field.key == "access_token" ? access_token
                                           : out.refresh_token) = std::move(*v);
        } else if (field.key == "expires_in") {
            // Some services send a float; whole seconds are all that matters.
            if (field.value.is_int64() || field.value.is_uint64() || field.value.is_double()) {
                const double s =
                    field.value.is_double()
                        ? field.value.get_double().value_unsafe()
                        : static_cast<double>(field.value.is_int64()
                                                  ? field.value.get_int64().value_unsafe()
                                                  : static_cast<std::int64_t>(
                                                      field.value.get_uint64().value_unsafe()));
                if (s > 0 && s < 1e9) {
                    out.expires_in = std::chrono::seconds(static_cast<std::int64_t>(s));
                }
            }
        }
    }
    if (out.token.empty()) {
        out.token = std::move(access_token);
    }
    if (out.token.empty()) {
        return make_failure(errc::invalid_response, what + " holds no token");
    }
    // The token goes into a header: refuse what would break or smuggle header syntax.
    for (const char c : out.token) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            return make_failure(errc::invalid_response, what + " holds a malformed token");
        }
    }
    return out;
}

}  // namespace oras::auth::detail
