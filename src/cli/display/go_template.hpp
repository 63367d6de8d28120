// `--format go-template=...`: the ORAS CLI renders its JSON model through Go's text/template with
// the sprig functions; this is that language over the JSON document a command prints.
#pragma once

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace oras::cli {

/// Renders `text`, a Go text/template, with `data` as dot and `$`, as the ORAS CLI does: the
/// data is the command's JSON output decoded as Go decodes JSON into `any` (every number a
/// float64, so `{{.size}}` of 1048576 prints `1.048576e+06`, and `{{.tags}}` prints `[a b]`).
///
/// Supported: text and actions with `{{-`/`-}}` trimming and comments; pipelines with `|`,
/// parenthesised, with variables (`$x := ...`, `$x = ...`, `$`); fields (`.a.b`, on any
/// operand); `if`/`else if`/`else`, `range` (arrays, objects by sorted key, `$i, $v :=`, `else`,
/// `break`, `continue`), `with`/`else with`/`else`; Go's functions `and or not len index slice
/// eq ne lt le gt ge print printf println html js urlquery`; sprig's `toJson toRawJson
/// toPrettyJson toString first last rest initial join splitList upper lower title trim
/// trimPrefix trimSuffix trimAll replace contains hasPrefix hasSuffix quote squote default empty
/// coalesce ternary keys hasKey get dict list sortAlpha uniq len repeat indent nindent trunc
/// add sub`. `define`, `template` and `block` are refused.
///
/// Throws `oras::error` (`invalid_argument`) naming the line and column, for a template that does
/// not parse and for one that fails as it runs (a field of a missing value, a function unknown or
/// given the wrong arguments).
std::string render_go_template(std::string_view text, const boost::json::value& data);

/// Parses `text` only, throwing as `render_go_template` does for a template that does not parse:
/// to refuse a bad template before a command does anything.
void check_go_template(std::string_view text);

}  // namespace oras::cli
