// Internal: reading untrusted JSON with simdjson's DOM, every failure naming the member path.
#pragma once

#include <oras/result.hpp>

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace oras::detail {

/// A parsed document; the elements it hands out live as long as it does.
class json_document {
  public:
    /// Parses `text`, refusing more than `max_size` bytes (`size_exceeds_limit`) and malformed
    /// JSON (`code`). `what` names the document in messages ("manifest").
    result<simdjson::dom::element> parse(std::string_view text, std::size_t max_size,
                                         std::string_view what, errc code);

  private:
    simdjson::dom::parser parser_;
    simdjson::padded_string text_;
};

/// Typed access to members of untrusted objects. `path` names the member for messages, e.g.
/// `layers[2].size`; every failure carries `code_`.
class json_reader {
  public:
    explicit json_reader(errc code) : code_(code) {}

    result<simdjson::dom::object> object(simdjson::dom::element e, std::string_view path) const;
    result<simdjson::dom::array> array(simdjson::dom::element e, std::string_view path) const;
    result<std::string> string(simdjson::dom::element e, std::string_view path) const;
    result<std::int64_t> integer(simdjson::dom::element e, std::string_view path) const;
    result<bool> boolean(simdjson::dom::element e, std::string_view path) const;

    /// Refuses objects with a repeated key: parsers disagree about which one wins, and a
    /// manifest must mean one thing to every client that reads it.
    result<void> unique_keys(simdjson::dom::object o, std::string_view path) const;

    failure fail(std::string message) const { return make_failure(code_, std::move(message)); }
    failure missing(std::string_view path) const;

  private:
    errc code_;
};

/// `parent.member`, or just `member` at the top level.
std::string member_path(std::string_view parent, std::string_view member);
/// `parent[i]`.
std::string element_path(std::string_view parent, std::size_t i);

}  // namespace oras::detail
