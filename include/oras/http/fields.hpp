// fields: HTTP header fields, in order, with case-insensitive names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace oras::http {

/// ASCII case-insensitive comparison, as HTTP field names compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Header fields in the order they were added or received. Repeated names are kept (a server may
/// send several `WWW-Authenticate` or `Link` fields).
class fields {
  public:
    using value_type = std::pair<std::string, std::string>;
    using const_iterator = std::vector<value_type>::const_iterator;

    /// Appends a field.
    void add(std::string_view name, std::string_view value);
    /// Replaces every field of that name with one.
    void set(std::string_view name, std::string_view value);
    /// Removes every field of that name.
    void erase(std::string_view name);

    /// The first value of `name`, if present.
    std::optional<std::string_view> find(std::string_view name) const noexcept;
    /// The first value of `name`, or empty.
    std::string_view get(std::string_view name) const noexcept {
        return find(name).value_or(std::string_view{});
    }
    std::vector<std::string_view> get_all(std::string_view name) const;
    bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    const_iterator begin() const noexcept { return items_.begin(); }
    const_iterator end() const noexcept { return items_.end(); }
    std::size_t size() const noexcept { return items_.size(); }
    bool empty() const noexcept { return items_.empty(); }

  private:
    std::vector<value_type> items_;
};

}  // namespace oras::http
