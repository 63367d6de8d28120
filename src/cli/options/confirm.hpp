// Confirmation before a delete: an answer read from stdin, unless --force.
#pragma once

#include <iostream>
#include <string>

namespace oras::cli {

/// True to go ahead. `force`: yes without asking. Otherwise prints `question [y/N]` to stderr and
/// reads a line from stdin, as the ORAS CLI does, terminal or not (`echo y | oras-cpp manifest
/// delete ...`): y or yes, in any case, goes ahead; any other line prints "Operation cancelled."
/// and gives false. Stdin that ends with no line at all cancels on a terminal (Ctrl-D), and
/// throws `invalid_argument` otherwise: a script that forgot `-f` fails rather than believing it
/// deleted.
bool confirm(const std::string& question, bool force);

/// As above, reading `in`, which is a terminal or not as `terminal` says.
bool confirm(const std::string& question, bool force, std::istream& in, bool terminal);

}  // namespace oras::cli
