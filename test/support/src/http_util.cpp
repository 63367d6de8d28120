// The light half of oras/test/http.hpp: no Asio or Beast here.
#include <oras/test/http.hpp>

#include <oras/detail/base64.hpp>

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url.hpp>

#include <stdexcept>
#include <string>

namespace oras::test {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) {
            return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if (lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

}  // namespace

std::string http_response::header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
        if (iequals(n, name))
            return v;
    }
    return {};
}

bool http_response::has_header(std::string_view name) const {
    for (const auto& h : headers) {
        if (iequals(h.first, name))
            return true;
    }
    return false;
}

std::vector<std::string> http_response::headers_named(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
        if (iequals(n, name))
            out.push_back(v);
    }
    return out;
}

std::string basic_auth(std::string_view user, std::string_view password) {
    std::string credentials(user);
    credentials += ':';
    credentials += password;
    return "Basic " + oras::detail::base64_encode(credentials);
}

std::string bearer_auth(std::string_view token) {
    return "Bearer " + std::string(token);
}

std::string resolve_url(std::string_view base, std::string_view reference) {
    auto b = boost::urls::parse_uri(base);
    if (!b)
        throw std::invalid_argument("resolve_url: bad base URL: " + std::string(base));
    auto r = boost::urls::parse_uri_reference(reference);
    if (!r)
        throw std::invalid_argument("resolve_url: bad reference: " + std::string(reference));
    boost::urls::url out;
    auto rv = boost::urls::resolve(*b, *r, out);
    if (!rv)
        throw std::invalid_argument("resolve_url: cannot resolve " + std::string(reference));
    return std::string(out.buffer());
}

std::string append_query(std::string_view url, std::string_view name, std::string_view value) {
    auto parsed = boost::urls::parse_uri_reference(url);
    if (!parsed)
        throw std::invalid_argument("append_query: bad URL: " + std::string(url));
    boost::urls::url u(*parsed);
    // Appending encoded text keeps the existing query (e.g. `_state`) byte for byte.
    const std::string enc_name = boost::urls::encode(name, boost::urls::unreserved_chars);
    const std::string enc_value = boost::urls::encode(value, boost::urls::unreserved_chars);
    u.encoded_params().append({enc_name, enc_value});
    return std::string(u.buffer());
}

}  // namespace oras::test
