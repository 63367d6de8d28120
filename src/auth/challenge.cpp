#include <oras/auth/challenge.hpp>

#include "auth/api_root.hpp"
#include "core/quote.hpp"
#include "core/text.hpp"

#include <cctype>

namespace oras::auth {
namespace {

using ::oras::detail::is_tchar;
using ::oras::detail::lower;

constexpr std::size_t max_header = 8 * 1024;

bool is_token68_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c))
           || std::string_view("-._~+/").find(c) != std::string_view::npos;
}

class parser {
  public:
    explicit parser(std::string_view text) : s_(text) {}

    result<std::vector<challenge>> parse() {
        if (s_.size() > max_header) {
            return fail("is longer than " + std::to_string(max_header) + " bytes");
        }
        for (std::size_t i = 0; i < s_.size(); ++i) {
            const auto c = static_cast<unsigned char>(s_[i]);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                return fail_at(i, "has a control character");
            }
        }
        std::vector<challenge> out;
        skip_separators();
        while (!done()) {
            auto c = parse_challenge();
            if (!c) {
                return c.error();
            }
            out.push_back(std::move(*c));
            skip_separators();
        }
        if (out.empty()) {
            return fail("holds no challenge");
        }
        return out;
    }

  private:
    bool done() const { return pos_ >= s_.size(); }
    char peek() const { return s_[pos_]; }
    void skip_ows() {
        while (!done() && (peek() == ' ' || peek() == '\t')) {
            ++pos_;
        }
    }
    void skip_separators() {
        while (!done() && (peek() == ' ' || peek() == '\t' || peek() == ',')) {
            ++pos_;
        }
    }
    std::string_view token() {
        const auto start = pos_;
        while (!done() && is_tchar(peek())) {
            ++pos_;
        }
        return s_.substr(start, pos_ - start);
    }

    failure fail(const std::string& why) const {
        return make_failure(errc::invalid_response,
                            "WWW-Authenticate " + ::oras::detail::quote(s_, 120) + " " + why);
    }
    failure fail_at(std::size_t at, const std::string& why) const {
        return fail(why + " at offset " + std::to_string(at));
    }

    // Whether a token at pos_ is followed by '=' (then it is a parameter, not a new scheme).
    bool parameter_ahead() const {
        auto p = pos_;
        while (p < s_.size() && is_tchar(s_[p])) {
            ++p;
        }
        if (p == pos_) {
            return false;
        }
        while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) {
            ++p;
        }
        return p < s_.size() && s_[p] == '=';
    }

    // token68 right after the scheme: [A-Za-z0-9-._~+/]+ =*, then only OWS before ',' or end.
    bool try_token68(challenge& c) {
        auto p = pos_;
        while (p < s_.size() && is_token68_char(s_[p])) {
            ++p;
        }
        if (p == pos_) {
            return false;
        }
        auto q = p;
        while (q < s_.size() && s_[q] == '=') {
            ++q;
        }
        auto r = q;
        while (r < s_.size() && (s_[r] == ' ' || s_[r] == '\t')) {
            ++r;
        }
        if (r < s_.size() && s_[r] != ',') {
            return false;
        }
        c.token68 = std::string(s_.substr(pos_, q - pos_));
        pos_ = r;
        return true;
    }

    result<std::string> quoted() {
        const auto start = pos_;
        ++pos_;  // the opening quote
        std::string out;
        while (!done()) {
            const char ch = peek();
            if (ch == '"') {
                ++pos_;
                return out;
            }
            if (ch == '\\') {
                if (pos_ + 1 >= s_.size()) {
                    break;
                }
                out += s_[pos_ + 1];
                pos_ += 2;
                continue;
            }
            out += ch;
            ++pos_;
        }
        return fail_at(start, "has an unterminated quoted string");
    }

    result<challenge> parse_challenge() {
        challenge c;
        const auto scheme_at = pos_;
        const auto scheme = token();
        if (scheme.empty()) {
            return fail_at(scheme_at, "expects an authentication scheme");
        }
        c.scheme = lower(scheme);
        if (done() || peek() == ',') {
            return c;
        }
        if (peek() != ' ' && peek() != '\t') {
            return fail_at(
                pos_, "has " + ::oras::detail::quote(s_.substr(pos_, 1)) + " after the scheme");
        }
        skip_ows();
        if (done()) {
            return c;
        }
        if (try_token68(c)) {
            return c;
        }
        for (;;) {
            skip_ows();
            if (done()) {
                return c;
            }
            if (peek() == ',') {
                // A ',' ends this parameter; a new scheme (a token not followed by '=') ends
                // the challenge.
                while (!done() && (peek() == ',' || peek() == ' ' || peek() == '\t')) {
                    ++pos_;
                }
                if (done() || !parameter_ahead()) {
                    return c;
                }
            }
            const auto name_at = pos_;
            const auto name = token();
            if (name.empty()) {
                return fail_at(name_at, "expects a parameter name");
            }
            skip_ows();
            if (done() || peek() != '=') {
                return fail_at(name_at,
                               "has parameter " + ::oras::detail::quote(name) + " without '='");
            }
            ++pos_;
            skip_ows();
            std::string value;
            if (!done() && peek() == '"') {
                auto q = quoted();
                if (!q) {
                    return q.error();
                }
                value = std::move(*q);
            } else {
                const auto v = token();
                if (v.empty()) {
                    return fail_at(
                        pos_, "has parameter " + ::oras::detail::quote(name) + " without a value");
                }
                value = std::string(v);
            }
            if (!c.params.emplace(lower(name), std::move(value)).second) {
                return fail_at(name_at, "repeats parameter " + ::oras::detail::quote(name));
            }
            skip_ows();
            if (!done() && peek() != ',') {
                return fail_at(pos_, "expects ',' between parameters");
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string_view challenge::param(std::string_view name) const noexcept {
    const auto it = params.find(name);
    return it == params.end() ? std::string_view{} : std::string_view(it->second);
}

result<std::vector<challenge>> parse_www_authenticate(std::string_view header) {
    return parser(header).parse();
}

result<std::vector<challenge>> parse_www_authenticate(
    const std::vector<std::string_view>& headers) {
    std::vector<challenge> out;
    for (auto h : headers) {
        auto r = parse_www_authenticate(h);
        if (!r) {
            return r.error();
        }
        out.insert(out.end(), r->begin(), r->end());
    }
    return out;
}

result<bearer_challenge> to_bearer(const challenge& c) {
    if (c.scheme != "bearer") {
        return make_failure(
            errc::invalid_response,
            "challenge scheme " + ::oras::detail::quote(c.scheme) + " is not Bearer");
    }
    bearer_challenge b;
    b.realm = std::string(c.param("realm"));
    if (b.realm.empty()) {
        return make_failure(errc::invalid_response, "Bearer challenge has no realm");
    }
    b.service = std::string(c.param("service"));
    b.error = std::string(c.param("error"));
    const auto scopes = c.param("scope");
    std::size_t start = 0;
    while (start < scopes.size()) {
        const auto sp = std::min(scopes.find(' ', start), scopes.size());
        if (sp > start) {
            b.scopes.emplace_back(scopes.substr(start, sp - start));
        }
        start = sp + 1;
    }
    return b;
}

}  // namespace oras::auth

namespace oras::auth::detail {

boost::urls::url api_root_url(boost::urls::url_view on_registry) {
    boost::urls::url u;
    u.set_scheme(on_registry.scheme());
    u.set_encoded_authority(on_registry.encoded_host_and_port());
    u.set_path("/v2/");
    return u;
}

}  // namespace oras::auth::detail
