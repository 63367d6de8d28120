// The oras-cpp command line as a library: every command registered on one CLI11 app, so that
// flag parsing is unit-tested and `main` only runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace oras::cli {

/// A command that runs: its CLI11 app, what it does once parsed, and what its error line names.
struct format_flags;

struct command {
    CLI::App* app = nullptr;
    std::function<int()> run;
    std::function<std::string()> subject;
    /// Its `--format`, when it takes go-template: resolved before `run`, and a template renders
    /// what `run` prints as JSON.
    format_flags* format = nullptr;
};

struct app {
    CLI::App cli{"oras-cpp: push, pull, copy and manage OCI artifacts", "oras-cpp"};
    std::vector<command> commands;
};

/// The app with every command registered.
std::unique_ptr<app> make_app();

/// Parses `argv` and runs the command it names: the command's exit code, CLI11's for a usage
/// error (after printing it), 1 after printing `Error: <subject>: <cause>` for a failure.
int run(app& a, int argc, const char* const* argv);

/// `args` (the program's name first) with each `--name=` of an option that takes a value split
/// into `--name` and an empty value, each `-n=VALUE` into `-n` and `VALUE`, and each `-f=VALUE`
/// of a flag into `--flag=VALUE` (`-r=false`), as oras's flag parser reads them: CLI11 would
/// take the next argument as the value instead, keep the `=`, or refuse. Nothing after `--` is
/// touched.
std::vector<std::string> split_empty_values(const CLI::App& root, std::vector<std::string> args);

}  // namespace oras::cli
