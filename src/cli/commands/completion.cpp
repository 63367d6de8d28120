// oras-cpp completion bash|zsh: a completion script made from the registered commands and
// flags, so it never falls behind them.
#include "cli/commands/commands.hpp"

#include <oras/error.hpp>

#include <iostream>
#include <sstream>

namespace oras::cli {

namespace {

/// Every flag name of `cmd` (`-a --annotation ...`), space-separated.
std::string flags_of(const CLI::App& cmd) {
    std::string out;
    for (const auto* o : cmd.get_options()) {
        if (o->get_positional()) {
            continue;
        }
        for (const auto& s : o->get_snames()) {
            out += (out.empty() ? "-" : " -") + s;
        }
        for (const auto& l : o->get_lnames()) {
            out += (out.empty() ? "--" : " --") + l;
        }
    }
    return out;
}

std::string names_of(const std::vector<const CLI::App*>& cmds) {
    std::string out;
    for (const auto* c : cmds) {
        out += (out.empty() ? "" : " ") + c->get_name();
        for (const auto& alias : c->get_aliases()) {
            out += " " + alias;
        }
    }
    return out;
}

/// A bash function completing commands, subcommands and flags; files otherwise.
std::string bash_script(const CLI::App& root) {
    std::ostringstream s;
    s << "# bash completion for oras-cpp (oras-cpp completion bash)\n"
         "_oras_cpp() {\n"
         "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=\"\" w i\n"
         "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "        w=\"${COMP_WORDS[i]}\"\n"
         "        [[ $w == -* ]] && continue\n"
         "        case \"$path\" in\n"
         "            \"\") path=\"$w\" ;;\n";
    // A group (repo, manifest, blob) takes one more word.
    for (const auto* group : root.get_subcommands({})) {
        if (group->get_subcommands({}).empty()) {
            continue;
        }
        s << "            " << group->get_name() << ") path=\"$path $w\" ;;\n";
    }
    s << "        esac\n"
         "    done\n"
         "    local words=\"\" kind=files\n"
         "    case \"$path\" in\n";
    s << "        \"\") kind=names words=\"" << names_of(root.get_subcommands({}))
      << " --help --version\" ;;\n";
    for (const auto* cmd : root.get_subcommands({})) {
        auto subs = cmd->get_subcommands({});
        std::vector<std::string> names{cmd->get_name()};
        for (const auto& alias : cmd->get_aliases()) {
            names.push_back(alias);
        }
        for (const auto& name : names) {
            if (subs.empty()) {
                s << "        \"" << name << "\") kind=flags words=\"" << flags_of(*cmd)
                  << "\" ;;\n";
                continue;
            }
            s << "        \"" << name << "\") kind=names words=\"" << names_of(subs)
              << " --help\" ;;\n";
            for (const auto* sub : subs) {
                std::vector<std::string> sub_names{sub->get_name()};
                for (const auto& alias : sub->get_aliases()) {
                    sub_names.push_back(alias);
                }
                for (const auto& sub_name : sub_names) {
                    s << "        \"" << name << " " << sub_name << "\") kind=flags words=\""
                      << flags_of(*sub) << "\" ;;\n";
                }
            }
        }
    }
    s << "    esac\n"
         "    if [[ $kind == names || ($kind == flags && $cur == -*) ]]; then\n"
         "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
         "    else\n"
         "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
         "    fi\n"
         "}\n"
         "complete -o filenames -F _oras_cpp oras-cpp\n";
    return s.str();
}

}  // namespace

void add_completion(app& a) {
    auto shell = std::make_shared<std::string>();
    auto* cmd = a.cli.add_subcommand("completion", "Print a shell completion script");
    cmd->footer(
        "Examples:\n"
        "  oras-cpp completion bash > /etc/bash_completion.d/oras-cpp\n"
        "  source <(oras-cpp completion bash)\n"
        "  oras-cpp completion zsh > \"${fpath[1]}/_oras-cpp\"");
    cmd->add_option("shell", *shell, "bash or zsh")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh"}));
    a.commands.push_back({cmd,
                          [shell, &root = a.cli] {
                              if (*shell == "zsh") {
                                  // zsh runs the bash function through its bashcompinit layer.
                                  std::cout << "#compdef oras-cpp\n"
                                               "autoload -U +X bashcompinit && bashcompinit\n";
                              }
                              std::cout << bash_script(root);
                              return 0;
                          },
                          [] { return std::string("completion"); }});
}

}  // namespace oras::cli
