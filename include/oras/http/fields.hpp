// fields: HTTP header fields, in order, with case-insensitive names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)

namespace oras::http {

/// ASCII case-insensitive comparison, as HTTP field names compare.
bool iequals(std::string_view a, std::string_view b) noexcept;

/// Header fields in the order they were added or received. Repeated names are kept (a server may
/// send several `WWW-Authenticate` or `Link` fields).
class fields {
  public:
    /// A field: its name (in the case it was given or received) and its value.
    using value_type = std::pair<std::string, std::string>;
    /// Visits the fields in order.
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
    /// Every value of `name`, in order; empty if there is none. The views point into this
    /// object: valid until it is changed or destroyed.
    std::vector<std::string_view> get_all(std::string_view name) const;
    /// Whether a field named `name` (in any case) is present.
    bool contains(std::string_view name) const noexcept { return find(name).has_value(); }

    /// The first field.
    const_iterator begin() const noexcept { return items_.begin(); }
    /// Past the last field.
    const_iterator end() const noexcept { return items_.end(); }
    /// The number of fields, a repeated name counting once per field.
    std::size_t size() const noexcept { return items_.size(); }
    /// Whether there is no field.
    bool empty() const noexcept { return items_.empty(); }

  private:
    std::vector<value_type> items_;
};

}  // namespace oras::http

#pragma GCC visibility pop
