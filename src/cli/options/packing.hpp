// The flags of commands that pack files into a manifest (push, attach): annotations, the
// exported manifest, path validation; and the `FILE[:TYPE]` argument form.
#pragma once

#include <oras/ops/push.hpp>

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace oras::cli {

struct packing_flags {
    std::vector<std::string> annotations;
    std::string annotation_file;
    std::string export_path;
    bool disable_path_validation = false;

    void add(CLI::App& cmd);
    /// `--annotation-file` merged with `-a KEY=VALUE` (for `$manifest`); throws on a bad one.
    ops::annotation_map annotations_map() const;
    /// Checks `--export-manifest` before anything is pushed, so that a path that cannot be
    /// written fails first and nothing is pushed: its directory must exist and be writable, and
    /// it must be neither a directory nor one of `inputs` (the manifest would replace a file it
    /// describes). Nothing is created yet: a file beside the inputs would be packed with them.
    /// `-` (stdout) is refused when `formatted_output` (`--format json` or a template) prints
    /// there too.
    void check_export(const std::vector<ops::push_file>& inputs, bool formatted_output) const;
    /// Writes `manifest` to `--export-manifest` if given (temp + rename, checked).
    void export_manifest(const std::string& manifest) const;
    /// Refuses a file named by an absolute path unless `--disable-path-validation`, as oras
    /// does (even one inside the working directory: a title must not depend on where the
    /// command ran).
    void check_paths(const std::vector<ops::push_file>& files) const;
    /// A warning on stderr per annotation-file key that named no file packed: not used, as
    /// oras passes over them, but most likely a misspelt name.
    void warn_unused(const std::vector<std::string>& keys) const;
};

/// `PATH[:TYPE]`: the media type after the last colon, if what follows looks like one.
ops::push_file parse_file_arg(const std::string& arg);
/// `--config PATH[:TYPE]`: as `parse_file_arg`, but `PATH:` (an empty type) is oras-go's file
/// store default blob type, as oras stores it.
ops::push_file parse_config_arg(const std::string& arg);

}  // namespace oras::cli
