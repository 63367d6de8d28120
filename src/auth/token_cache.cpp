#include <oras/auth/token_cache.hpp>

#include <algorithm>

namespace oras::auth {

std::optional<std::string> token_cache::find(std::string_view registry, const scope_set& scopes,
                                             clock::time_point now) const {
    const auto reg = entries_.find(registry);
    if (reg == entries_.end()) {
        return std::nullopt;
    }
    if (const auto it = reg->second.find(scopes.str());
        it != reg->second.end() && now < it->second.use_until) {
        return it->second.token;
    }
    for (const auto& [key, e] : reg->second) {
        if (now < e.use_until && e.scopes.covers(scopes)) {
            return e.token;
        }
    }
    return std::nullopt;
}

void token_cache::store(std::string_view registry, const scope_set& scopes, std::string token,
                        std::chrono::seconds expires_in, clock::time_point now) {
    if (expires_in <= std::chrono::seconds::zero()) {
        expires_in = options_.default_lifetime;
    }
    // Short-lived tokens are used for at least half their life rather than not at all.
    const auto margin = std::min<std::chrono::seconds>(options_.refresh_margin, expires_in / 2);
    auto& reg = entries_[std::string(registry)];
    std::erase_if(reg, [&](const auto& kv) { return kv.second.use_until <= now; });
    if (reg.size() >= options_.max_per_registry && !reg.count(scopes.str())) {
        auto soonest = std::min_element(reg.begin(), reg.end(), [](const auto& a, const auto& b) {
            return a.second.use_until < b.second.use_until;
        });
        reg.erase(soonest);
    }
    reg[scopes.str()] = entry{scopes, std::move(token), now + expires_in - margin};
}

void token_cache::erase(std::string_view registry, const scope_set& scopes) {
    if (const auto reg = entries_.find(registry); reg != entries_.end()) {
        reg->second.erase(scopes.str());
    }
}

void token_cache::erase(std::string_view registry) {
    if (const auto reg = entries_.find(registry); reg != entries_.end()) {
        entries_.erase(reg);
    }
}

void token_cache::erase_token(std::string_view registry, std::string_view token) {
    if (const auto reg = entries_.find(registry); reg != entries_.end()) {
        std::erase_if(reg->second, [&](const auto& kv) { return kv.second.token == token; });
    }
}

std::size_t token_cache::size() const noexcept {
    std::size_t n = 0;
    for (const auto& [r, m] : entries_) {
        n += m.size();
    }
    return n;
}

}  // namespace oras::auth
