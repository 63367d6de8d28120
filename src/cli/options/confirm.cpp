#include "cli/options/confirm.hpp"

#include <oras/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <iostream>

namespace oras::cli {

bool confirm(const std::string& question, bool force) {
    if (force) {
        return true;
    }
    if (::isatty(STDIN_FILENO) == 0) {
        throw error(errc::invalid_argument,
                    "not deleting without confirmation: stdin is not a terminal (pass -f to "
                    "delete without asking)");
    }
    std::cerr << question << " [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    std::transform(answer.begin(), answer.end(), answer.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (answer == "y" || answer == "yes") {
        return true;
    }
    std::cerr << "Operation cancelled.\n";
    return false;
}

}  // namespace oras::cli
