#include <oras/auth/scope.hpp>

#include "core/quote.hpp"

#include <algorithm>
#include <cctype>

namespace oras::auth {
namespace {

bool is_type_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool is_action_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '*' || c == '-' || c == '_';
}
bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c))
           || std::string_view("._-/:").find(c) != std::string_view::npos;
}

}  // namespace

result<scope> scope::parse(std::string_view text) {
    const auto fail = [&](const std::string& why) {
        return make_failure(errc::invalid_argument, "scope " + detail::quote(text) + " " + why);
    };
    const auto first = text.find(':');
    const auto last = text.rfind(':');
    if (first == std::string_view::npos || first == last) {
        return fail("is not type:name:actions");
    }
    scope s;
    const auto type = text.substr(0, first);
    const auto name = text.substr(first + 1, last - first - 1);
    const auto actions = text.substr(last + 1);
    if (type.empty() || !std::all_of(type.begin(), type.end(), is_type_char)) {
        return fail("has an invalid type");
    }
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) {
        return fail("has an invalid name");
    }
    s.type = std::string(type);
    s.name = std::string(name);
    std::size_t start = 0;
    while (start <= actions.size()) {
        const auto comma = std::min(actions.find(',', start), actions.size());
        const auto a = actions.substr(start, comma - start);
        if (a.empty() || !std::all_of(a.begin(), a.end(), is_action_char)) {
            return fail("has an invalid action " + detail::quote(a));
        }
        s.actions.emplace(a);
        start = comma + 1;
    }
    return s;
}

std::string scope::str() const {
    std::string out = type + ":" + name + ":";
    bool first = true;
    for (const auto& a : actions) {
        if (!first) {
            out += ',';
        }
        out += a;
        first = false;
    }
    return out;
}

scope repository_scope(std::string_view repository,
                       std::initializer_list<std::string_view> actions) {
    scope s{"repository", std::string(repository), {}};
    for (auto a : actions) {
        s.actions.emplace(a);
    }
    return s;
}

scope catalog_scope() {
    return scope{"registry", "catalog", {"*"}};
}

scope_set::scope_set(std::initializer_list<scope> scopes) {
    for (const auto& s : scopes) {
        add(s);
    }
}

void scope_set::add(const scope& s) {
    auto it =
        std::lower_bound(scopes_.begin(), scopes_.end(), s, [](const scope& a, const scope& b) {
            return std::tie(a.type, a.name) < std::tie(b.type, b.name);
        });
    if (it != scopes_.end() && it->type == s.type && it->name == s.name) {
        it->actions.insert(s.actions.begin(), s.actions.end());
    } else {
        scopes_.insert(it, s);
    }
}

void scope_set::add(const scope_set& other) {
    for (const auto& s : other.scopes_) {
        add(s);
    }
}

bool scope_set::covers(const scope_set& other) const {
    for (const auto& want : other.scopes_) {
        const auto it = std::find_if(scopes_.begin(), scopes_.end(), [&](const scope& have) {
            return have.type == want.type && have.name == want.name;
        });
        if (it == scopes_.end()) {
            return false;
        }
        if (it->actions.count("*") != 0) {
            continue;
        }
        if (!std::includes(it->actions.begin(), it->actions.end(), want.actions.begin(),
                           want.actions.end())) {
            return false;
        }
    }
    return true;
}

std::string scope_set::str() const {
    std::string out;
    for (const auto& s : scopes_) {
        if (!out.empty()) {
            out += ' ';
        }
        out += s.str();
    }
    return out;
}

std::vector<std::string> scope_set::strings() const {
    std::vector<std::string> out;
    out.reserve(scopes_.size());
    for (const auto& s : scopes_) {
        out.push_back(s.str());
    }
    return out;
}

}  // namespace oras::auth
