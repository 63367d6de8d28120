// What the commands print on success, as text or JSON, and the one error line.
#pragma once

#include <oras/ops/copy.hpp>
#include <oras/ops/mirror.hpp>
#include <oras/ops/pull.hpp>
#include <oras/ops/push.hpp>

#include <chrono>
#include <exception>
#include <ostream>
#include <string>
#include <vector>

namespace oras::cli {

/// `text` with line breaks turned into spaces: one message, one line.
std::string one_line(std::string text);

/// The per-artifact report: a JSON object (`artifacts`, counts), or a summary line in text.
void print_mirror(std::ostream& out, const std::string& format, const ops::mirror_result& r,
                  std::chrono::steady_clock::duration elapsed);
/// The line a mirror prints for one artifact.
std::string mirror_line(const ops::mirror_artifact& a);

/// `path`: the repository (or layout) part of `reference`, what JSON references are made of as
/// oras makes them (`path@digest`, `path:tag`); `tags`: those pushed. `shown`: the reference as
/// oras displays it, `[registry] REF` or `[oci-layout] REF` (its first tag only, for a push: the
/// others are printed as `Tagged TAG`).
void print_push(std::ostream& out, const std::string& format, const std::string& shown,
                const std::string& path, const std::vector<std::string>& tags,
                const ops::push_result& r);
/// As oras, nodes left unwritten for want of a title (layers, and `untitled_nodes`) are
/// reported instead of the pulled reference: how to copy them all (`reference`, as given).
void print_pull(std::ostream& out, const std::string& format, const std::string& shown,
                const std::string& reference, const std::string& path, const ops::pull_result& r);
void print_copy(std::ostream& out, const std::string& format, const std::string& from,
                const std::string& to, const ops::copy_result& r);
/// `Uploading <short digest> <media type>` and `Uploaded  ...`, or `Exists    ...` when the
/// target had it: oras's lines for `blob push` and `manifest push` (written once the push is
/// over, so that a failed one prints its error alone).
void print_pushed_item(std::ostream& out, const descriptor& d, bool existed);
/// `Error: <subject>: <cause>` on one line; a transient failure (`oras::is_transient`) says so
/// at the end.
void print_error(std::ostream& out, const std::string& subject, const std::exception& e,
                 bool transient = false);

}  // namespace oras::cli
