// discover's output: the referrers tree as the ORAS CLI draws it, the table, and JSON.
#pragma once

#include <oras/ops/discover.hpp>

#include <ostream>
#include <string>

namespace oras::cli {

/// The subject, then its referrers grouped by artifact type, each with its annotations and
/// its own referrers (`├── `, `│   `, `└── `). With `mark_depth_limit`, nodes whose referrers
/// were not listed say so (for a limit the user did not choose).
void print_tree(std::ostream& out, const std::string& repository, const ops::discover_result& r,
                bool annotations, bool mark_depth_limit);
/// `Discovered N artifacts referencing REF`, then a column per artifact type and digest; with
/// `verbose` (oras v1.3's default) each referrer's descriptor indented under its row.
void print_table(std::ostream& out, const std::string& reference, const ops::discover_result& r,
                 bool verbose);
/// The tree as JSON: `{reference, mediaType, digest, size, referrers: [...]}` at every node.
void print_discover_json(std::ostream& out, const std::string& repository,
                         const ops::discover_result& r);

}  // namespace oras::cli
