// JSON output helpers shared by the commands.
#pragma once

#include <oras/descriptor.hpp>

#include <boost/json.hpp>

#include <ostream>
#include <sstream>
#include <string>
#include <string_view>

namespace oras::cli {

/// An OCI descriptor as JSON: mediaType, digest, size, artifactType and annotations when set.
boost::json::object descriptor_json(const descriptor& d);

/// `{"reference": ..., <descriptor>}`: how the ORAS CLI reports an artifact.
boost::json::object reference_json(const std::string& reference, const descriptor& d);

/// A descriptor on stdout: compact with no newline after it, or indented with `pretty_json` and
/// a final newline, as oras prints it.
void print_descriptor(std::ostream& out, const descriptor& d, bool pretty_json);

/// Two-space indentation and a final newline (the ORAS CLI's `--pretty`); escaped as `compact`.
std::string pretty(const boost::json::value& v);

/// On one line, as Go's json.Encoder writes it: `<`, `>`, `&`, U+2028 and U+2029 in strings
/// escaped (`\u003c`...), as oras's JSON output has them.
std::string compact(const boost::json::value& v);

/// `bytes` indented as Go's `json.Indent` with two spaces, plus a newline: every token kept as
/// written (escapes such as `\u003c`, number forms), only whitespace changed; bytes that are not
/// JSON come back as they are. How oras prints a document it holds with `--pretty`.
std::string indented(std::string_view bytes);

}  // namespace oras::cli
