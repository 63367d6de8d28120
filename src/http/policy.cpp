#include "http/policy.hpp"

#include "core/quote.hpp"
#include "core/text.hpp"

#include <oras/diagnostics.hpp>

#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace oras::http::detail {
namespace {

using ::oras::detail::is_tchar;
using ::oras::detail::lower;
using ::oras::detail::trim;

std::optional<std::array<unsigned char, 16>> parse_ip(std::string_view host, bool& v4) {
    if (auto a = boost::urls::parse_ipv4_address(host)) {
        v4 = true;
        auto b = a->to_bytes();
        std::array<unsigned char, 16> out{};
        std::copy(b.begin(), b.end(), out.begin());
        return out;
    }
    if (auto a = boost::urls::parse_ipv6_address(host)) {
        v4 = false;
        auto b = a->to_bytes();
        std::array<unsigned char, 16> out{};
        std::copy(b.begin(), b.end(), out.begin());
        return out;
    }
    return std::nullopt;
}

// HTTP-date in its three forms, parsed without the C locale's help (strptime's %a/%b follow
// LC_TIME; HTTP's names are always English).
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view v) {
    static constexpr std::string_view months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::string text(v);
    char month[4] = {};
    char zone[4] = {};
    int day = 0, year = 0, hour = 0, minute = 0, second = 0, used = 0;
    bool ok = false;
    if (const auto comma = text.find(','); comma != std::string::npos) {
        const std::string rest = text.substr(comma + 1);
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"; RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        ok = std::sscanf(rest.c_str(), " %2d %3s %4d %2d:%2d:%2d %3s%n", &day, month, &year, &hour,
                         &minute, &second, zone, &used)
                 == 7
             && static_cast<std::size_t>(used) == rest.size();
        if (!ok) {
            ok = std::sscanf(rest.c_str(), " %2d-%3s-%2d %2d:%2d:%2d %3s%n", &day, month, &year,
                             &hour, &minute, &second, zone, &used)
                     == 7
                 && static_cast<std::size_t>(used) == rest.size();
            year += year < 70 ? 2000 : 1900;
        }
        ok = ok && std::string_view(zone) == "GMT";
    } else {
        // asctime: "Sun Nov  6 08:49:37 1994"
        char weekday[4] = {};
        ok = std::sscanf(text.c_str(), "%3s %3s %2d %2d:%2d:%2d %4d%n", weekday, month, &day, &hour,
                         &minute, &second, &year, &used)
                 == 7
             && static_cast<std::size_t>(used) == text.size();
    }
    if (!ok) {
        return std::nullopt;
    }
    const auto m = std::find(std::begin(months), std::end(months), std::string_view(month));
    if (m == std::end(months) || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0
        || minute > 59 || second < 0 || second > 60 || year < 1900 || year > 9999) {
        return std::nullopt;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = static_cast<int>(m - std::begin(months));
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    const std::time_t t = ::timegm(&tm);
    if (t == -1) {
        return std::nullopt;
    }
    // system_clock counts nanoseconds: only about 1678-2262 fits. A date before 1970 is as past
    // as 1970 and one after 2200 as far as 2200 (found by fuzzing: year 1007 overflowed).
    constexpr std::time_t latest = 7'258'118'400;  // 2200-01-01T00:00:00Z
    return std::chrono::system_clock::from_time_t(std::clamp<std::time_t>(t, 0, latest));
}

}  // namespace

std::string origin::authority() const {
    std::string a = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != (tls() ? 443 : 80)) {
        a += ":" + std::to_string(port);
    }
    return a;
}

result<origin> origin_of(boost::urls::url_view u) {
    origin o;
    o.scheme = lower(u.scheme());
    if (o.scheme != "http" && o.scheme != "https") {
        return make_failure(errc::invalid_argument,
                            "URL " + oras::detail::quote(u.buffer()) + " is not http or https");
    }
    if (!u.has_authority() || u.encoded_host().empty()) {
        return make_failure(errc::invalid_argument,
                            "URL " + oras::detail::quote(u.buffer()) + " has no host");
    }
    switch (u.host_type()) {
        case boost::urls::host_type::ipv6:
            o.host = u.host_ipv6_address().to_string();
            break;
        case boost::urls::host_type::ipv4:
            o.host = u.host_ipv4_address().to_string();
            break;
        case boost::urls::host_type::name: {
            // The host goes verbatim into Host, request lines, CONNECT and SNI: only plain DNS
            // characters, never percent-escapes (which decode to CR, LF, NUL, ':' ...).
            const auto raw = u.encoded_host();
            const bool plain = std::all_of(raw.begin(), raw.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.'
                       || c == '_';
            });
            if (!plain) {
                return make_failure(errc::invalid_argument, "URL " + oras::detail::quote(u.buffer())
                                                                + " has an invalid host name");
            }
            o.host = lower(raw);
            break;
        }
        default:
            return make_failure(errc::invalid_argument,
                                "URL " + oras::detail::quote(u.buffer()) + " has an unusable host");
    }
    if (u.has_port()) {
        if (u.port().empty() || u.port_number() == 0) {
            return make_failure(errc::invalid_argument,
                                "URL " + oras::detail::quote(u.buffer()) + " has an invalid port");
        }
        o.port = u.port_number();
    } else {
        o.port = o.tls() ? 443 : 80;
    }
    return o;
}

std::string request_target(boost::urls::url_view u) {
    std::string t(u.encoded_path());
    if (t.empty()) {
        t = "/";
    }
    if (u.has_query()) {
        t += '?';
        t += u.encoded_query();
    }
    return t;
}

result<boost::urls::url> resolve_location(boost::urls::url_view base, std::string_view location) {
    const auto fail = [&](const std::string& why) {
        // Redacted: a presigned storage URL carries its signature in the query.
        return make_failure(errc::invalid_response,
                            "Location " + oras::detail::quote(redact_url(location)) + " " + why);
    };
    location = trim(location);
    if (location.empty()) {
        return fail("is empty");
    }
    auto ref = boost::urls::parse_uri_reference(location);
    if (!ref) {
        return fail("is not a valid URI reference");
    }
    boost::urls::url out;
    if (auto r = boost::urls::resolve(base, *ref, out); !r) {
        return fail("cannot be resolved against " + oras::detail::quote(base.buffer()));
    }
    out.remove_fragment();
    if (auto o = origin_of(out); !o) {
        return fail("does not resolve to an http(s) URL");
    }
    return out;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
    value = trim(value);
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) {  // beyond ~30 years: treat as "too long", not overflow
            return std::chrono::milliseconds(std::chrono::hours(24 * 365 * 30));
        }
        return std::chrono::seconds(std::stol(std::string(value)));
    }
    if (auto when = parse_http_date(value)) {
        const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(*when - now);
        return std::max(d, std::chrono::milliseconds(0));
    }
    return std::nullopt;
}

bool is_retryable_status(unsigned status) noexcept {
    // 500 too: distribution answers it for a HEAD racing a concurrent upload of the same blob.
    // The client retries it only for idempotent requests.
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503
           || status == 504;
}

std::chrono::milliseconds backoff_delay(unsigned n, const retry_options& opts,
                                        double unit) noexcept {
    const double base = static_cast<double>(opts.base_delay.count());
    const double cap = static_cast<double>(opts.max_delay.count());
    const double d = std::min(cap, base * std::ldexp(1.0, static_cast<int>(std::min(n, 30u))));
    unit = std::clamp(unit, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(d / 2 + unit * d / 2));
}

result<std::optional<redirect_plan>> plan_redirect(unsigned status, std::string_view method,
                                                   const origin& from, const origin& to,
                                                   bool body_replayable) {
    if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
        return std::optional<redirect_plan>{};
    }
    if (from.tls() && !to.tls()) {
        return make_failure(errc::invalid_response, "refusing a redirect from " + from.str()
                                                        + " to " + to.str()
                                                        + ": it would downgrade https to http");
    }
    redirect_plan plan;
    plan.drop_credentials = !(from == to);
    if (status == 307 || status == 308) {
        if (!body_replayable) {
            return std::optional<redirect_plan>{};
        }
        plan.method = std::string(method);
        plan.keep_body = true;
    } else if (status == 303) {
        plan.method = method == "HEAD" ? "HEAD" : "GET";
        plan.keep_body = false;
    } else if (method == "GET" || method == "HEAD" || method == "POST") {
        // 301/302: only POST becomes GET (as browsers and Go do). A PUT, PATCH or DELETE that
        // became a GET would report a push or delete that never happened.
        plan.method = method == "POST" ? "GET" : std::string(method);
        plan.keep_body = false;
    } else {
        return std::optional<redirect_plan>{};
    }
    return std::optional<redirect_plan>{plan};
}

std::optional<std::pair<std::string, std::uint16_t>> dial_override(
    const std::vector<address_override>& overrides, const origin& target) {
    const auto unbracket = [](std::string_view h) {
        if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
            h = h.substr(1, h.size() - 2);
        }
        return h;
    };
    for (auto it = overrides.rbegin(); it != overrides.rend(); ++it) {
        const auto& o = *it;
        if (o.port == target.port && iequals(unbracket(o.host), target.host)) {
            return std::pair{std::string(unbracket(o.address)),
                             o.address_port != 0 ? o.address_port : o.port};
        }
    }
    return std::nullopt;
}

bool is_loopback_host(std::string_view host) noexcept {
    if (!host.empty() && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (iequals(host, "localhost")) {
        return true;
    }
    if (auto a = boost::urls::parse_ipv4_address(host)) {
        return a->to_bytes()[0] == 127;
    }
    if (auto a = boost::urls::parse_ipv6_address(host)) {
        return a->is_loopback();
    }
    return false;
}

proxy_settings proxy_settings::from(const proxy_options& opts) {
    proxy_settings s;
    s.http_proxy = opts.http_proxy;
    s.https_proxy = opts.https_proxy;
    s.no_proxy = opts.no_proxy;
    if (opts.from_environment && s.http_proxy.empty() && s.https_proxy.empty()) {
        const auto env = [](const char* upper, const char* lower_name) {
            const char* v = std::getenv(upper);
            if (v == nullptr || *v == '\0') {
                v = std::getenv(lower_name);
            }
            return std::string(v == nullptr ? "" : v);
        };
        s.https_proxy = env("HTTPS_PROXY", "https_proxy");
        // As Go does: in a CGI environment HTTP_PROXY may come from a client's "Proxy:" header.
        if (std::getenv("REQUEST_METHOD") == nullptr) {
            s.http_proxy = env("HTTP_PROXY", "http_proxy");
        }
        if (s.no_proxy.empty()) {
            s.no_proxy = env("NO_PROXY", "no_proxy");
        }
        s.from_environment = true;
    }
    return s;
}

bool no_proxy_matches(std::string_view no_proxy, std::string_view host_in, std::uint16_t port) {
    const std::string host = lower(host_in);
    bool host_v4 = false;
    const auto host_ip = parse_ip(host, host_v4);
    std::size_t start = 0;
    while (start <= no_proxy.size()) {
        const auto comma = std::min(no_proxy.find(',', start), no_proxy.size());
        std::string entry = lower(trim(no_proxy.substr(start, comma - start)));
        start = comma + 1;
        if (entry.empty()) {
            continue;
        }
        if (entry == "*") {
            return true;
        }
        if (const auto slash = entry.find('/'); slash != std::string::npos) {
            bool net_v4 = false;
            const auto net = parse_ip(std::string_view(entry).substr(0, slash), net_v4);
            const std::string bits_text = entry.substr(slash + 1);
            if (!net || !host_ip || net_v4 != host_v4 || bits_text.empty()
                || !std::all_of(bits_text.begin(), bits_text.end(), ::isdigit)
                || bits_text.size() > 3) {
                continue;
            }
            const int bits = std::stoi(bits_text);
            if (bits > (net_v4 ? 32 : 128)) {
                continue;
            }
            bool in = true;
            for (int b = 0; b < bits && in; ++b) {
                const int byte = b / 8;
                const int mask = 0x80 >> (b % 8);
                in = ((*net)[byte] & mask) == ((*host_ip)[byte] & mask);
            }
            if (in) {
                return true;
            }
            continue;
        }
        // An IP address, possibly bracketed, possibly with a port.
        std::string name = entry;
        std::string entry_port;
        if (name.front() == '[') {
            const auto close = name.find(']');
            if (close == std::string::npos) {
                continue;
            }
            if (close + 1 < name.size() && name[close + 1] == ':') {
                entry_port = name.substr(close + 2);
            }
            name = name.substr(1, close - 1);
        } else if (std::count(name.begin(), name.end(), ':') == 1) {
            entry_port = name.substr(name.find(':') + 1);
            name = name.substr(0, name.find(':'));
        }
        if (!entry_port.empty() && entry_port != std::to_string(port)) {
            continue;
        }
        bool entry_v4 = false;
        if (auto ip = parse_ip(name, entry_v4)) {
            if (host_ip && entry_v4 == host_v4 && *ip == *host_ip) {
                return true;
            }
            continue;
        }
        if (name.size() > 1 && name[0] == '*' && name[1] == '.') {
            name = name.substr(1);
        }
        if (name.empty() || name == ".") {
            continue;  // ":8080", "[]": nothing to match
        }
        const bool match_self = name.front() != '.';
        const std::string suffix = match_self ? "." + name : name;
        if ((host.size() > suffix.size()
             && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
            || (match_self && host == name)) {
            return true;
        }
    }
    return false;
}

result<std::optional<boost::urls::url>> select_proxy(const origin& target,
                                                     const proxy_settings& settings) {
    const std::string& raw = target.tls() ? settings.https_proxy : settings.http_proxy;
    if (raw.empty()) {
        return std::optional<boost::urls::url>{};
    }
    if (settings.from_environment && is_loopback_host(target.host)) {
        return std::optional<boost::urls::url>{};
    }
    if (no_proxy_matches(settings.no_proxy, target.host, target.port)) {
        return std::optional<boost::urls::url>{};
    }
    std::string text = raw;
    if (text.find("://") == std::string::npos) {
        text = "http://" + text;
    }
    auto parsed = boost::urls::parse_uri(text);
    if (!parsed || parsed->scheme() != "http" || parsed->encoded_host().empty()) {
        return make_failure(errc::invalid_argument, "proxy " + oras::detail::quote(redact_url(raw))
                                                        + " is not an http://host[:port] URL");
    }
    boost::urls::url u(*parsed);
    if (!u.has_port()) {
        u.set_port_number(80);
    }
    return std::optional<boost::urls::url>{std::move(u)};
}

result<void> validate_field(std::string_view name, std::string_view value) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_tchar)) {
        return make_failure(errc::invalid_argument,
                            "header name " + oras::detail::quote(name) + " is not a token");
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
        return make_failure(errc::invalid_argument, "header " + std::string(name)
                                                        + " has a line break or NUL in its value");
    }
    return {};
}

fields redact_fields(const fields& f, const fields& also_secret) {
    fields out;
    for (const auto& [name, value] : f) {
        const bool secret = iequals(name, "authorization") || iequals(name, "proxy-authorization")
                            || iequals(name, "cookie") || iequals(name, "set-cookie")
                            || also_secret.contains(name);
        if (secret) {
            out.add(name, "REDACTED");
        } else if (iequals(name, "location") || iequals(name, "content-location")) {
            // A redirect to storage carries its signature in the query, as a request to it
            // does: redacted alike.
            out.add(name, redact_url(value));
        } else {
            out.add(name, std::string_view(value));
        }
    }
    return out;
}

}  // namespace oras::http::detail
