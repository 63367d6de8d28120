#include "cli/app.hpp"

#include "cli/commands/commands.hpp"
#include "cli/display/go_template.hpp"
#include "cli/display/results.hpp"
#include "cli/options/target.hpp"
#include "cli/wait.hpp"

#include <oras/error.hpp>
#include <oras/version.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>
#include <string_view>

namespace oras::cli {

std::unique_ptr<app> make_app() {
    auto a = std::make_unique<app>();
    a->cli.set_version_flag("--version", std::string("oras-cpp ") + ORAS_VERSION_STRING);
    a->cli.require_subcommand(1);
    a->cli.footer("Run 'oras-cpp COMMAND --help' for a command's flags and examples.");
    add_push(*a);
    add_pull(*a);
    add_cp(*a);
    add_mirror(*a);
    add_attach(*a);
    add_discover(*a);
    add_tag(*a);
    add_resolve(*a);
    add_repo(*a);
    add_manifest(*a);
    add_blob(*a);
    add_backup(*a);
    add_restore(*a);
    add_login(*a);
    add_logout(*a);
    add_version(*a);
    add_completion(*a);
    // A value flag given twice takes the last value, as pflag's (a wrapper adding defaults
    // before the user's flags); lists keep every value. Only the value taken is checked, as
    // oras checks a flag's value once parsing is done: CLI11 gives the values it drops negative
    // indexes, and a check bound to index 0 passes them by.
    const auto last_wins = [](const auto& self, CLI::App& cmd) -> void {
        for (auto* o : cmd.get_options()) {
            if (o->nonpositional() && o->get_items_expected_max() == 1
                && o->get_items_expected_min() == 1) {
                o->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
                for (int i = 0;; ++i) {
                    CLI::Validator* check = nullptr;
                    try {
                        check = o->get_validator(i);
                    } catch (const CLI::OptionNotFound&) {
                        break;
                    }
                    if (check->get_application_index() == -1) {
                        check->application_index(0);
                    }
                }
            }
        }
        for (auto* c : cmd.get_subcommands([](CLI::App*) { return true; })) {
            self(self, *c);
        }
    };
    last_wins(last_wins, a->cli);
    return a;
}

namespace {

/// Runs `c` with its JSON output taken from stdout and rendered through its template there.
int run_templated(command& c) {
    std::ostringstream captured;
    int rc = 0;
    {
        struct restore {
            std::streambuf* old;
            ~restore() { std::cout.rdbuf(old); }
        } put_back{std::cout.rdbuf(captured.rdbuf())};
        rc = c.run();
    }
    if (rc != 0) {
        std::cout << captured.str();
        return rc;
    }
    boost::system::error_code ec;
    boost::json::parse_options deep;
    deep.max_depth = 10000;  // a manifest the command printed, however nested (default: 32)
    const auto document = boost::json::parse(captured.str(), ec, {}, deep);
    if (ec) {
        throw error(errc::invalid_argument,
                    "cannot apply the template: the command's output is not one JSON document");
    }
    std::cout << render_go_template(c.format->go_template, document) << std::flush;
    return 0;
}

}  // namespace

namespace {

/// The options `--name` (or, `short_name`, `-n`) of the command `scope` named so far and of
/// the commands above it; before any command is named (`scope` is the root), of every command.
std::vector<const CLI::Option*> options_named(const CLI::App& scope, const std::string& name,
                                              bool short_name) {
    std::vector<const CLI::Option*> out;
    const auto add = [&](const CLI::App& cmd) {
        for (const auto* o : cmd.get_options()) {
            if (short_name ? o->check_sname(name) : o->check_lname(name)) {
                out.push_back(o);
            }
        }
    };
    if (scope.get_parent() != nullptr) {
        for (const auto* c = &scope; c != nullptr; c = c->get_parent()) {
            add(*c);
        }
        return out;
    }
    const auto visit = [&](const auto& self, const CLI::App& cmd) -> void {
        add(cmd);
        for (const auto* c : cmd.get_subcommands([](const CLI::App*) { return true; })) {
            self(self, *c);
        }
    };
    visit(visit, scope);
    return out;
}

/// Whether the option `--name` (or `-n`) in `scope` takes a value.
bool takes_value(const CLI::App& scope, const std::string& name, bool short_name = false) {
    const auto found = options_named(scope, name, short_name);
    return std::any_of(found.begin(), found.end(),
                       [](const CLI::Option* o) { return o->get_items_expected_max() > 0; });
}

/// The long name of the flag (an option taking no value) `-short_name` in `scope`; empty when
/// there is none, or when commands give the letter different long names.
std::string flag_long_name(const CLI::App& scope, const std::string& short_name) {
    std::string found;
    for (const auto* o : options_named(scope, short_name, true)) {
        if (o->get_items_expected_max() > 0 || o->get_lnames().empty()) {
            return {};
        }
        const auto& name = o->get_lnames().front();
        if (!found.empty() && found != name) {
            return {};
        }
        found = name;
    }
    return found;
}

/// The subcommand of `scope` called `name`, if any.
const CLI::App* subcommand_named(const CLI::App& scope, const std::string& name) {
    const auto found =
        scope.get_subcommands([&name](const CLI::App* c) { return c->check_name(name); });
    return found.empty() ? nullptr : found.front();
}

}  // namespace

std::vector<std::string> split_empty_values(const CLI::App& root, std::vector<std::string> args) {
    const CLI::App* scope = &root;  // the command named so far
    for (std::size_t i = 1; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "--") {
            break;
        }
        if (a.size() < 2 || a[0] != '-') {
            if (const auto* sub = subcommand_named(*scope, a)) {
                scope = sub;
            }
            continue;
        }
        if (a.starts_with("--")) {
            const auto eq = a.find('=');
            if (eq == std::string::npos) {
                if (takes_value(*scope, a.substr(2))) {
                    ++i;  // its value, whatever it looks like (`-p -d=x`: a password)
                }
            } else if (a.size() > 3 && eq == a.size() - 1
                       && takes_value(*scope, a.substr(2, a.size() - 3))) {
                args[i].pop_back();
                args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::string());
                ++i;
            }
            continue;
        }
        if (a.size() > 2 && a[2] == '=') {
            if (takes_value(*scope, a.substr(1, 1), true)) {
                // `-a=k=v`: pflag's value is `k=v`; CLI11 would keep the `=`.
                auto value = a.substr(3);
                args[i].resize(2);
                args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(value));
                ++i;
            } else if (const auto name = flag_long_name(*scope, a.substr(1, 1));
                       a.size() > 3 && !name.empty()) {
                // `-r=false`: pflag sets a boolean shorthand from the value after `=`, which
                // CLI11 takes only in the long form.
                args[i] = "--" + name + a.substr(2);
            }
            continue;
        }
        // `-abc`: flags until one that takes a value, whose value is the rest or, with no
        // rest, the next argument.
        for (std::size_t j = 1; j < a.size(); ++j) {
            if (j > 1 && j + 1 < a.size() && a[j + 1] == '=') {
                // `-kr=false`, `-va=k=v`: pflag gives the letter before `=` what follows it.
                // Split off as `-r=false`, read as such next.
                auto last = "-" + a.substr(j);
                args[i].resize(j);
                args.insert(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(last));
                break;  // `a` is gone with the insertion
            }
            if (takes_value(*scope, a.substr(j, 1), true)) {
                if (j + 1 == a.size()) {
                    ++i;
                }
                break;
            }
        }
    }
    return args;
}

int run(app& a, int argc, const char* const* argv) {
    const auto known = [&a](const std::string& name) {
        const auto all = a.cli.get_subcommands([](CLI::App*) { return true; });
        return std::any_of(all.begin(), all.end(),
                           [&name](const CLI::App* c) { return c->check_name(name); });
    };
    std::vector<std::string> given(argv, argv + argc);
    if (given.size() > 1 && given[1] == "help") {
        // `oras help manifest fetch`: cobra's help command, as `manifest fetch --help`; what
        // follows the command names is ignored, as cobra ignores it.
        std::size_t end = 2;
        while (end < given.size() && !given[end].empty() && given[end][0] != '-') {
            ++end;
        }
        given.erase(given.begin() + static_cast<std::ptrdiff_t>(end), given.end());
        given.erase(given.begin() + 1);
        given.emplace_back("--help");
    }
    if (given.size() > 1 && given[1][0] != '-' && !known(given[1])) {
        std::cerr << "Error: unknown command \"" << given[1]
                  << "\" for \"oras-cpp\"\nRun 'oras-cpp --help' for usage.\n";
        return 1;
    }
    try {
        const auto args = split_empty_values(a.cli, given);
        std::vector<const char*> split;
        split.reserve(args.size());
        for (const auto& arg : args) {
            split.push_back(arg.c_str());
        }
        a.cli.parse(static_cast<int>(split.size()), split.data());
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) {
            return a.cli.exit(e);  // --help, --version
        }
        // Every usage error is one `Error:` line and exits 1, as oras (CLI11's own codes, 105
        // to 109, would tell a script nothing more).
        std::string message = e.what();
        if (dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) {
            // CLI11's "Could not convert: --concurrency = abc", in pflag's words.
            const std::string_view head = "Could not convert: ";
            const auto eq = message.find(" = ");
            if (message.starts_with(head) && eq != std::string::npos) {
                message = "invalid argument \"" + message.substr(eq + 3) + "\" for \""
                          + message.substr(head.size(), eq - head.size()) + "\" flag";
            }
        } else if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr
                   && message.starts_with("--") && message.ends_with(" is required")) {
            // cobra's words for a required flag: required flag(s) "artifact-type" not set.
            message = "required flag(s) \"" + message.substr(2, message.size() - 14) + "\" not set";
        } else if (const auto* extras = dynamic_cast<const CLI::ExtrasError*>(&e)) {
            (void)extras;
            const auto colon = message.find(": ");
            if (colon != std::string::npos && message.compare(colon + 2, 1, "-") == 0) {
                message = "unknown flag: " + message.substr(colon + 2);
            }
        }
        std::cerr << "Error: " << message << "\n";
        return 1;
    }
    for (auto& c : a.commands) {
        if (!c.app->parsed()) {
            continue;
        }
        try {
            if (c.format == nullptr) {
                return c.run();
            }
            c.format->resolve();
            if (c.format->go_template.empty()) {
                return c.run();
            }
            return run_templated(c);
        } catch (const interrupted& e) {
            print_error(std::cerr, c.subject(), e);
            return 128 + e.signal();
        } catch (const std::exception& e) {
            print_error(std::cerr, c.subject(), e, is_transient(std::current_exception()));
            return 1;
        }
    }
    return 2;
}

}  // namespace oras::cli
