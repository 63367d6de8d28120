// The flag sets most commands share: a target (REF or --oci-layout DIR), output format,
// platform. Modelled on the ORAS CLI's internal/option.
#pragma once

#include "cli/options/remote.hpp"

#include <oras/descriptor.hpp>
#include <oras/ops/location.hpp>

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace oras::cli {

/// A command's `common_flags` and how to open its target: `remote_flags`, `--oci-layout` or
/// `--oci-layout-path`, and `--distribution-spec` where the command records or reads referrers.
struct target_flags {
    common_flags common;
    remote_flags remote;
    bool oci_layout = false;
    std::string oci_layout_path;
    std::string distribution_spec;

    void add(CLI::App& cmd, bool with_layout = true, bool with_spec = false, bool with_tty = true);

    /// `text` as a location these flags describe (reads `--password-stdin` once).
    ops::location location(const std::string& text);
    /// Whether the target is an OCI image layout (`--oci-layout` or `--oci-layout-path`).
    bool layout() const { return oci_layout || !oci_layout_path.empty(); }
    /// How the ORAS CLI names the repository or layout of `ref` in what it prints:
    /// `registry/repo`, a layout's directory (`--oci-layout DIR:TAG`), or `--oci-layout-path`.
    std::string repository(const std::string& ref) const;
    /// Whether stderr is a terminal that shows progress.
    bool tty(bool text_output = true) const;
};

/// `--oci-layout` and `--oci-layout-path` with `prefix` (`from-`, `to-` or none), which exclude
/// each other, as the ORAS CLI's target flags; `whose` names the end in their help.
void add_layout_flags(CLI::App& cmd, const std::string& prefix, bool& layout, std::string& path,
                      const std::string& whose);

/// `--distribution-spec` (or a prefixed form, `whose` naming the end in its help), and what it
/// sets in a registry's options.
void add_distribution_spec(CLI::App& cmd, const std::string& name, std::string& into,
                           const std::string& whose);
void apply_distribution_spec(const std::string& spec, registry::connect_options& remote);

/// `--format`: one of `allowed`, the first being the default; with `templates`, also the ORAS
/// CLI's `--format go-template=TEMPLATE` (or `--format go-template --template TEMPLATE`).
struct format_flags {
    std::string value;
    /// The Go template, once `resolve` found one; `value` is then "json": the command prints its
    /// JSON document, which the app renders through the template (see `app.cpp`).
    std::string go_template;
    void add(CLI::App& cmd, std::vector<std::string> allowed, bool templates = false);
    /// After parsing: takes the template out of `--format go-template=...` or `--template`, and
    /// checks it parses. Throws `invalid_argument` for a template without go-template, a
    /// go-template without a template, or a template that does not parse.
    void resolve();
    bool json() const { return value == "json"; }

  private:
    std::string template_flag_;
};

/// `--platform os[/arch][/variant][:os_version]`.
struct platform_flags {
    std::string text;
    void add(CLI::App& cmd, const std::string& help =
                                "Pick this platform's manifest from an index: "
                                "os[/arch][/variant][:os_version]");
    /// The platform, or nothing when the flag is absent; throws on a malformed one.
    std::optional<oras::platform> get() const;
};

/// `--descriptor` and `--pretty`.
struct descriptor_flags {
    bool descriptor = false;
    bool pretty = false;
    void add(CLI::App& cmd, bool with_descriptor = true);
};

/// Removes the layout that opening `t` created unless `keep()` is called: a command that fails
/// leaves no empty layout behind.
class created_layout {
  public:
    explicit created_layout(const ops::opened_target& t) : t_(t) {}
    ~created_layout();
    created_layout(const created_layout&) = delete;
    created_layout& operator=(const created_layout&) = delete;
    void keep() noexcept { keep_ = true; }

  private:
    const ops::opened_target& t_;
    bool keep_ = false;
};

/// `--concurrency N` as oras takes it: any integer, 0 or less standing for the command's default
/// (`into` as it is now, as oras-go reads a concurrency it is not given), more than
/// `max_concurrency` capped there (every transfer in flight holds buffers and a connection).
inline constexpr std::size_t max_concurrency = 64;
CLI::Option* add_concurrency(CLI::App& cmd, std::size_t& into, const std::string& help,
                             std::size_t max = max_concurrency);

/// Refuses a list of tags (`REF:a,b`) in a command that acts on one manifest: oras reads such a
/// reference as a malformed tag, and taking the first alone would act on it silently.
void require_one_tag(const ops::opened_target& t);

/// `registry[:port]` of `registry/repo...`: the text before the first `/`.
std::string registry_part(const std::string& text);

/// `registry/repo` of `registry/repo:tag` or `@digest` (a layout: its directory): the text
/// before a tag or digest that follows the last `/`.
std::string repository_part(const std::string& text);

/// Repeatable flags take one value per occurrence (`-a k1=v1 -a k2=v2`), as in the ORAS CLI: a
/// value list would swallow the positional arguments that follow.
CLI::Option* add_repeatable(CLI::App& cmd, const std::string& name, std::vector<std::string>& into,
                            const std::string& help);

}  // namespace oras::cli
