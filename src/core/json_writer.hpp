// Internal: compact JSON output with the string escaping of Go's encoding/json, so that
// manifests we write are byte-identical to those the Go ORAS tools write for the same value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace oras::detail {

/// Appends `s` as a JSON string literal: `"` and `\` escaped, \b \f \n \r \t in short form,
/// other control characters, `<`, `>`, `&`, U+2028 and U+2029 as \u00XX / \u20XX, and every
/// byte sequence that is not valid UTF-8 as \ufffd.
void append_json_string(std::string& out, std::string_view s);

class json_writer {
  public:
    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }
    void key(std::string_view k);
    void value(std::string_view s);
    void value(std::int64_t n);

    /// `key` then string `v`, skipped when `v` is empty (Go's omitempty).
    void optional(std::string_view k, std::string_view v);

    std::string take() { return std::move(out_); }

  private:
    void open(char c);
    void close(char c);
    void separate();

    std::string out_;
    std::vector<bool> first_;  // per open container: nothing written in it yet
    bool after_key_ = false;
};

}  // namespace oras::detail
