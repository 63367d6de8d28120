// oras-cpp completion bash|zsh|fish: a completion script made from the registered commands and
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

/// The names `cmd` answers to: its name and its aliases.
std::vector<std::string> all_names(const CLI::App& cmd) {
    std::vector<std::string> names{cmd.get_name()};
    for (const auto& alias : cmd.get_aliases()) {
        names.push_back(alias);
    }
    return names;
}

std::string names_of(const std::vector<const CLI::App*>& cmds) {
    std::string out;
    for (const auto* c : cmds) {
        for (const auto& name : all_names(*c)) {
            out += (out.empty() ? "" : " ") + name;
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
        for (const auto& name : all_names(*cmd)) {
            if (subs.empty()) {
                s << "        \"" << name << "\") kind=flags words=\"" << flags_of(*cmd)
                  << "\" ;;\n";
                continue;
            }
            s << "        \"" << name << "\") kind=names words=\"" << names_of(subs)
              << " --help\" ;;\n";
            for (const auto* sub : subs) {
                for (const auto& sub_name : all_names(*sub)) {
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

/// `text` as a fish single-quoted word.
std::string fish_quoted(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'' || c == '\\') {
            out += '\\';
        }
        out += c == '\n' ? ' ' : c;
    }
    return out + "'";
}

/// `complete` lines for the flags of `cmd`, reached by the command words `path`.
void fish_flags(std::ostringstream& s, const CLI::App& cmd, const std::string& path) {
    for (const auto* o : cmd.get_options()) {
        if (o->get_positional()) {
            continue;
        }
        s << "complete -c oras-cpp -n " << fish_quoted("__oras_cpp_at " + path);
        for (const auto& name : o->get_snames()) {
            s << " -s " << name;
        }
        for (const auto& name : o->get_lnames()) {
            s << " -l " << name;
        }
        if (o->get_items_expected_max() > 0) {
            s << " -r";  // takes a value: files are offered for it
        }
        s << " -d " << fish_quoted(o->get_description()) << "\n";
    }
}

/// A fish script: the words typed so far choose the commands or the flags offered (as the bash
/// function does), with each one's description; files otherwise.
std::string fish_script(const CLI::App& root) {
    std::ostringstream s;
    s << "# fish completion for oras-cpp (oras-cpp completion fish)\n"
         "function __oras_cpp_path\n"
         "    set -l path\n"
         "    for w in (commandline -opc)[2..-1]\n"
         "        string match -q -- '-*' $w; and continue\n"
         "        if test (count $path) -eq 0\n"
         "            set path $w\n";
    // A group (repo, manifest, blob) takes one more word.
    std::string groups;
    for (const auto* group : root.get_subcommands({})) {
        if (!group->get_subcommands({}).empty()) {
            for (const auto& name : all_names(*group)) {
                groups += " " + name;
            }
        }
    }
    s << "        else if test (count $path) -eq 1; and contains -- $path[1]" << groups << "\n"
      << "            set -a path $w\n"
         "        end\n"
         "    end\n"
         "    string join ' ' -- $path\n"
         "end\n"
         "function __oras_cpp_at\n"
         "    set -l path (__oras_cpp_path)\n"
         "    test \"$path\" = \"$argv\"\n"
         "end\n";
    for (const auto* cmd : root.get_subcommands({})) {
        for (const auto& name : all_names(*cmd)) {
            s << "complete -c oras-cpp -f -n '__oras_cpp_at' -a " << fish_quoted(name) << " -d "
              << fish_quoted(cmd->get_description()) << "\n";
        }
        const auto subs = cmd->get_subcommands({});
        for (const auto& name : all_names(*cmd)) {
            if (subs.empty()) {
                fish_flags(s, *cmd, name);
                continue;
            }
            for (const auto* sub : subs) {
                for (const auto& sub_name : all_names(*sub)) {
                    s << "complete -c oras-cpp -f -n " << fish_quoted("__oras_cpp_at " + name)
                      << " -a " << fish_quoted(sub_name) << " -d "
                      << fish_quoted(sub->get_description()) << "\n";
                    fish_flags(s, *sub, name + " " + sub_name);
                }
            }
        }
    }
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
        "  oras-cpp completion zsh > \"${fpath[1]}/_oras-cpp\"\n"
        "  oras-cpp completion fish > ~/.config/fish/completions/oras-cpp.fish");
    cmd->add_option("shell", *shell, "bash, zsh or fish")
        ->required()
        ->check(CLI::IsMember({"bash", "zsh", "fish"}));
    a.commands.push_back({cmd,
                          [shell, &root = a.cli] {
                              if (*shell == "fish") {
                                  std::cout << fish_script(root);
                                  return 0;
                              }
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
