#include "cli/options/target.hpp"

#include "cli/display/go_template.hpp"
#include "core/quote.hpp"

#include <oras/error.hpp>
#include <oras/ops/platform.hpp>

#include <unistd.h>

#include <algorithm>
#include <string_view>

namespace oras::cli {

void add_distribution_spec(CLI::App& cmd, const std::string& name, std::string& into,
                           const std::string& whose) {
    cmd.add_option(name, into,
                   "How referrers are recorded and found" + whose
                       + ": v1.1-referrers-api (the registry's referrers API) or "
                         "v1.1-referrers-tag (the tag-schema index)")
        ->check(CLI::IsMember({"v1.1-referrers-api", "v1.1-referrers-tag"}));
}

void apply_distribution_spec(const std::string& spec, registry::connect_options& remote) {
    if (spec == "v1.1-referrers-api") {
        remote.repository.referrers = registry::referrers_capability::api;
    } else if (spec == "v1.1-referrers-tag") {
        remote.repository.referrers = registry::referrers_capability::tag_schema;
    }
}

void target_flags::add(CLI::App& cmd, bool with_layout, bool with_spec, bool with_tty) {
    common.add(cmd, with_tty);
    remote.add(cmd);
    if (with_layout) {
        add_layout_flags(cmd, "", oci_layout, oci_layout_path, "");
    }
    if (with_spec) {
        add_distribution_spec(cmd, "--distribution-spec", distribution_spec, "");
    }
}

void add_layout_flags(CLI::App& cmd, const std::string& prefix, bool& layout, std::string& path,
                      const std::string& whose) {
    auto* flag = cmd.add_flag("--" + prefix + "oci-layout", layout,
                              "The " + (whose.empty() ? std::string("reference") : whose)
                                  + " is an OCI image layout: DIR[:TAG] or DIR@DIGEST");
    auto* dir = cmd.add_option("--" + prefix + "oci-layout-path", path,
                               "[Experimental] The " + (whose.empty() ? std::string("target") : whose)
                                   + " is the OCI image layout DIR; the reference is a tag or "
                                     "digest in it (a tag such as example.com/app:v1)");
    dir->type_name("DIR");
    flag->excludes(dir);
    dir->excludes(flag);
}

std::string registry_part(const std::string& text) {
    return text.substr(0, text.find('/'));
}

ops::location target_flags::location(const std::string& text) {
    ops::location l;
    l.text = text;
    l.oci_layout = oci_layout;
    l.layout_path = oci_layout_path;
    remote.refuse_headers_on_layout(oci_layout);
    if (!layout()) {
        remote.debug = common.debug;
        l.remote = remote.remote_for(registry_part(text));
        apply_distribution_spec(distribution_spec, l.remote);
    }
    return l;
}

std::string target_flags::repository(const std::string& ref) const {
    return oci_layout_path.empty() ? repository_part(ref) : oci_layout_path;
}

bool target_flags::tty(bool text_output) const {
    return text_output && !common.no_tty && !common.debug && ::isatty(STDERR_FILENO) != 0;
}

void format_flags::add(CLI::App& cmd, std::vector<std::string> allowed, bool templates) {
    value = allowed.front();
    std::string help = "Output format:";
    for (const auto& a : allowed) {
        help += " " + a;
    }
    if (templates) {
        help +=
            ", or go-template=TEMPLATE (Go's text/template over the JSON output, with "
            "sprig's functions)";
        allowed.emplace_back("go-template");
    }
    cmd.add_option("--format", value, help)
        ->check(CLI::Validator(
            [allowed, templates](std::string& v) -> std::string {
                if (std::find(allowed.begin(), allowed.end(), v) != allowed.end()
                    || (templates && v.starts_with("go-template="))) {
                    return {};
                }
                std::string list;
                for (const auto& a : allowed) {
                    list += (list.empty() ? "" : ", ") + a;
                }
                return "invalid format type: \"" + v + "\" (supported types: " + list + ")";
            },
            "FORMAT"));
    if (templates) {
        cmd.add_option("--template", template_flag_,
                       "[Experimental] The template, with --format go-template");
    }
}

void format_flags::resolve() {
    if (!template_flag_.empty()) {
        if (value != "go-template") {
            throw error(errc::invalid_argument,
                        "--template must be used with --format go-template");
        }
        go_template = template_flag_;
    } else if (value.starts_with("go-template=")) {
        go_template = value.substr(std::string_view("go-template=").size());
    }
    if (value == "go-template" || value.starts_with("go-template=")) {
        if (go_template.empty()) {
            throw error(errc::invalid_argument,
                        "\"go-template\" format specified but no template given: use `--format "
                        "go-template=TEMPLATE` to specify the template");
        }
        check_go_template(go_template);
        value = "json";
    }
}

void platform_flags::add(CLI::App& cmd, const std::string& help) {
    cmd.add_option("--platform", text, help);
}

std::optional<oras::platform> platform_flags::get() const {
    if (text.empty()) {
        return std::nullopt;
    }
    auto p = ops::parse_platform(text);
    if (!p) {
        throw error(p.error());
    }
    return std::move(*p);
}

void descriptor_flags::add(CLI::App& cmd, bool with_descriptor) {
    if (with_descriptor) {
        cmd.add_flag("--descriptor", descriptor, "Print the descriptor instead");
    }
    cmd.add_flag("--pretty", pretty, "Indent JSON printed to stdout");
}

created_layout::~created_layout() {
    if (!keep_ && t_.created) {
        std::error_code ec;
        std::filesystem::remove_all(t_.layout_dir, ec);
    }
}

CLI::Option* add_concurrency(CLI::App& cmd, std::size_t& into, const std::string& help,
                             std::size_t max) {
    const auto fallback = into;
    auto* o = cmd.add_option_function<long long>(
        "--concurrency",
        [&into, fallback, max](const long long& n) {
            into =
                n <= 0
                    ? fallback
                    : static_cast<std::size_t>(std::min<long long>(n, static_cast<long long>(max)));
        },
        help + " (0 or less: the default; at most " + std::to_string(max) + ")");
    o->default_str(std::to_string(fallback));
    return o;
}

void require_one_tag(const ops::opened_target& t) {
    if (t.tags.size() > 1) {
        std::string list;
        for (const auto& tag : t.tags) {
            list += (list.empty() ? "" : ",") + tag;
        }
        throw error(errc::invalid_reference, "name one tag, not a list of "
                                                 + std::to_string(t.tags.size()) + " ("
                                                 + oras::detail::quote(list, 200) + ")");
    }
}

std::string repository_part(const std::string& text) {
    const auto slash = text.rfind('/');
    const auto from = slash == std::string::npos ? 0 : slash;
    // The first of a tag's `:` and a digest's `@` (`repo:v1@sha256:...` names the digest).
    return text.substr(0, text.find_first_of(":@", from));
}

CLI::Option* add_repeatable(CLI::App& cmd, const std::string& name, std::vector<std::string>& into,
                            const std::string& help) {
    return cmd.add_option(name, into, help)->allow_extra_args(false);
}

}  // namespace oras::cli
