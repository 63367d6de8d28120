// The manual page (man(7) troff) of oras-cpp, made from the registered commands and flags, so it
// never falls behind them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace oras::cli {

/// `oras-cpp.1`: every command and subcommand with its description, arguments, flags and
/// examples, then the environment and files the tool reads.
std::string man_page(const CLI::App& root);

}  // namespace oras::cli
