#include "cli/options/packing.hpp"

#include "cli/files.hpp"
#include "cli/options/target.hpp"
#include "core/quote.hpp"

#include <oras/error.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

namespace oras::cli {

void packing_flags::add(CLI::App& cmd) {
    add_repeatable(cmd, "-a,--annotation", annotations, "Manifest annotation KEY=VALUE");
    cmd.add_option("--annotation-file", annotation_file,
                   "JSON annotations keyed by $manifest, $config or a file's name");
    cmd.add_option("--export-manifest", export_path, "Also write the manifest to this file");
    cmd.add_flag("--disable-path-validation", disable_path_validation,
                 "Allow files outside the working directory");
}

ops::annotation_map packing_flags::annotations_map() const {
    ops::annotation_map out;
    if (!annotation_file.empty()) {
        auto parsed = ops::parse_annotation_file(read_input(annotation_file, "annotation file"),
                                                 annotation_file);
        if (!parsed) {
            throw error(parsed.error());
        }
        out = std::move(*parsed);
    }
    for (const auto& a : annotations) {
        const auto eq = a.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw error(errc::invalid_argument, "--annotation \"" + a + "\" is not KEY=VALUE");
        }
        auto& m = out["$manifest"];
        const auto key = a.substr(0, eq);
        if (m.contains(key)) {
            throw error(errc::invalid_argument, "--annotation " + key + " is given twice");
        }
        m[key] = a.substr(eq + 1);
    }
    return out;
}

void packing_flags::check_export(const std::vector<ops::push_file>& inputs,
                                 bool formatted_output) const {
    const auto bad = [&](const std::string& why) {
        throw error(errc::invalid_argument, "--export-manifest " + export_path + ": " + why);
    };
    if (export_path == "-" && formatted_output) {
        // Two documents on stdout: neither a JSON reader nor the template could take them.
        bad("stdout already carries the --format output; name a file");
    }
    if (export_path.empty() || export_path == "-") {
        return;
    }
    std::error_code ec;
    const std::filesystem::path path(export_path);
    if (std::filesystem::is_directory(path, ec)) {
        bad("is a directory, not a file to write");
    }
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    if (!std::filesystem::is_directory(dir, ec)) {
        bad("no directory " + dir.string() + " to write it in");
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        bad("cannot write in " + dir.string() + ": " + std::strerror(errno));
    }
    for (const auto& in : inputs) {
        if (std::filesystem::equivalent(path, in.path, ec)) {
            bad("is " + in.path.string() + ", a file to push");
        }
    }
}

void packing_flags::export_manifest(const std::string& manifest) const {
    if (!export_path.empty()) {
        write_output(export_path, manifest, "exported manifest");
    }
}

ops::push_file parse_config_arg(const std::string& arg) {
    auto f = parse_file_arg(arg);
    if (arg.ends_with(':') && f.media_type.empty()) {
        // `PATH:`: an empty type, which oras-go's file store stores as its default blob type,
        // where `PATH` alone is an unknown config.
        f.media_type = "application/vnd.oci.image.layer.v1.tar";
    }
    return f;
}

void packing_flags::check_paths(const std::vector<ops::push_file>& files) const {
    if (disable_path_validation) {
        return;
    }
    // oras's words: every such path, after its sentence.
    std::string failed;
    for (const auto& f : files) {
        if (f.path.is_absolute()) {
            failed += (failed.empty() ? "" : ", ") + f.path.string();
        }
    }
    if (!failed.empty()) {
        throw error(errc::invalid_argument,
                    "absolute file path detected. If it's intentional, use "
                    "--disable-path-validation flag to skip this check: "
                        + failed);
    }
}

ops::push_file parse_file_arg(const std::string& arg) {
    ops::push_file f;
    const auto colon = arg.rfind(':');
    if (colon != std::string::npos && colon != 0 && colon + 1 == arg.size()) {
        f.path = arg.substr(0, colon);  // `FILE:`, as oras: the default type
    } else if (colon != std::string::npos && colon + 1 < arg.size()
               && arg.find('/', colon) != std::string::npos) {
        f.path = arg.substr(0, colon);
        f.media_type = arg.substr(colon + 1);
    } else {
        f.path = arg;
        std::error_code ec;
        if (colon != std::string::npos && colon != 0 && !std::filesystem::exists(arg, ec)
            && std::filesystem::exists(arg.substr(0, colon), ec)) {
            // `FILE:TYPE` whose type is not one: say so, not that "FILE:TYPE" is missing.
            throw error(errc::invalid_argument, "\"" + arg.substr(colon + 1) + "\" after "
                                                    + arg.substr(0, colon)
                                                    + " is not a media type (TYPE/SUBTYPE)");
        }
    }
    return f;
}

void packing_flags::warn_unused(const std::vector<std::string>& keys) const {
    for (const auto& k : keys) {
        std::cerr << "Warning: " << annotation_file << " gives annotations for "
                  << oras::detail::quote(k)
                  << ", which is neither $manifest, $config nor a file packed: not used\n";
    }
}

}  // namespace oras::cli
