#include <oras/http/fields.hpp>

#include <algorithm>

namespace oras::http {

bool iequals(std::string_view a, std::string_view b) noexcept {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
               return lower(x) == lower(y);
           });
}

void fields::add(std::string_view name, std::string_view value) {
    items_.emplace_back(std::string(name), std::string(value));
}

void fields::set(std::string_view name, std::string_view value) {
    erase(name);
    add(name, value);
}

void fields::erase(std::string_view name) {
    std::erase_if(items_, [&](const value_type& f) { return iequals(f.first, name); });
}

std::optional<std::string_view> fields::find(std::string_view name) const noexcept {
    for (const auto& [n, v] : items_) {
        if (iequals(n, name)) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::vector<std::string_view> fields::get_all(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& [n, v] : items_) {
        if (iequals(n, name)) {
            out.emplace_back(v);
        }
    }
    return out;
}

}  // namespace oras::http
