// Confirmation before a delete: asked on a terminal, refused without one unless --force.
#pragma once

#include <string>

namespace oras::cli {

/// True to go ahead. `force`: yes without asking. Otherwise asks `question [y/N]` when stdin is
/// a terminal (false, after "Operation cancelled.", for anything but y/yes), and throws
/// `invalid_argument` when it is not: a script must say `-f`.
bool confirm(const std::string& question, bool force);

}  // namespace oras::cli
