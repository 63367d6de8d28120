// scope: `type:name:action,action` as in the distribution token protocol, and sets of them.
#pragma once

#include <oras/result.hpp>

#include <set>
#include <string>
#include <string_view>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::auth {

/// One resource scope, e.g. `repository:team/app:pull,push` or `registry:catalog:*`.
struct scope {
    std::string type;               ///< "repository", "registry", ...
    std::string name;               ///< "team/app", "catalog"
    std::set<std::string> actions;  ///< sorted, unique: "pull", "push", "delete", "*"

    /// Parses `type:name:actions`. The name may contain ':' (the first and last colons split);
    /// fails with `invalid_argument` for empty parts or characters outside the grammar.
    static result<scope> parse(std::string_view text);

    /// Canonical text: actions sorted and joined by ','.
    std::string str() const;

    /// Member-wise: type, name and the set of actions.
    friend bool operator==(const scope&, const scope&) = default;
};

scope repository_scope(std::string_view repository,
                       std::initializer_list<std::string_view> actions);

/// `registry:catalog:*`: what listing the registry's repositories needs.
scope catalog_scope();

/// A set of scopes, merged by (type, name): `repository:a:pull` + `repository:a:push` =
/// `repository:a:pull,push`. Iteration and `str()` are in sorted order, so equal sets give equal
/// cache keys however they were built.
class scope_set {
  public:
    scope_set() = default;
    /// The scopes of `scopes`, merged as `add` merges them.
    scope_set(std::initializer_list<scope> scopes);

    /// Adds `s`, merging its actions into the scope of the same type and name if there is one.
    void add(const scope& s);
    /// Adds every scope of `other`.
    void add(const scope_set& other);

    /// True if every action of every scope in `other` is covered here (`*` covers all).
    bool covers(const scope_set& other) const;

    /// Space-separated canonical scopes, the cache key's scope part.
    std::string str() const;
    /// Each scope's canonical text, as sent in repeated `scope=` query parameters.
    std::vector<std::string> strings() const;

    /// Whether no scope has been added.
    bool empty() const noexcept { return scopes_.empty(); }
    /// The merged scopes, sorted by (type, name).
    const std::vector<scope>& scopes() const noexcept { return scopes_; }

    /// Equal when the merged scopes are, however the sets were built.
    friend bool operator==(const scope_set&, const scope_set&) = default;

  private:
    std::vector<scope> scopes_;  // sorted by (type, name), each with its merged actions
};

}  // namespace oras::auth

#pragma GCC visibility pop
