// token_cache: bearer tokens keyed by registry and scope set, with expiry.
#pragma once

#include <oras/auth/scope.hpp>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#pragma GCC visibility push(default)

namespace oras::auth {

/// Tokens per (registry, canonical scope set). A token is used until `refresh_margin` before it
/// expires, so that a request never leaves with a token that dies in flight. Pure data: the
/// authenticating client merges concurrent fetches on top of it. Not thread-safe.
class token_cache {
  public:
    /// Monotonic: a token's life is counted from when it was stored, whatever the wall clock does.
    using clock = std::chrono::steady_clock;

    /// When tokens stop being used, and how many are kept.
    struct options {
        /// Stop using a token this long before its expiry.
        std::chrono::seconds refresh_margin{30};
        /// Lifetime assumed when the token service gives none (the spec's default is 60 s).
        std::chrono::seconds default_lifetime{60};
        /// Tokens kept per registry; the soonest to expire is dropped first.
        std::size_t max_per_registry = 64;
    };

    token_cache() = default;
    /// An empty cache with policy `o` (the default constructor uses `options{}`).
    explicit token_cache(options o) : options_(o) {}

    /// A live token for exactly `scopes` on `registry`, else one whose scopes cover them.
    std::optional<std::string> find(std::string_view registry, const scope_set& scopes,
                                    clock::time_point now = clock::now()) const;

    /// Stores a token granted for `scopes`; `expires_in` <= 0 means the default lifetime.
    void store(std::string_view registry, const scope_set& scopes, std::string token,
               std::chrono::seconds expires_in, clock::time_point now = clock::now());

    /// Forgets the token stored for exactly `scopes` (after the registry rejected it).
    void erase(std::string_view registry, const scope_set& scopes);
    /// Forgets every token of `registry`.
    void erase(std::string_view registry);
    /// Forgets `token` of `registry` under whatever scopes it was stored (a registry refused it).
    void erase_token(std::string_view registry, std::string_view token);

    /// Tokens held for all registries, counting expired ones not yet dropped (a registry's
    /// expired tokens go when a token is stored for it).
    std::size_t size() const noexcept;

  private:
    struct entry {
        scope_set scopes;
        std::string token;
        clock::time_point use_until;
    };
    options options_;
    // registry -> canonical scope string -> entry
    std::map<std::string, std::map<std::string, entry>, std::less<>> entries_;
};

}  // namespace oras::auth

#pragma GCC visibility pop
