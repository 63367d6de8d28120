#include "cli/options/confirm.hpp"

#include <oras/error.hpp>

#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace oras::cli {

bool confirm(const std::string& question, bool force) {
    return confirm(question, force, std::cin, ::isatty(STDIN_FILENO) != 0);
}

bool confirm(const std::string& question, bool force, std::istream& in, bool terminal) {
    if (force) {
        return true;
    }
    // On stdout, as oras prints the prompt and its answer (`fmt.Print`).
    std::cout << question << " [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(in, answer) && answer.empty() && !terminal) {
        // A script that forgot -f: the ORAS CLI would cancel and exit 0, and the script would
        // believe it had deleted.
        std::cout << "\n" << std::flush;
        throw error(errc::invalid_argument,
                    "not deleting without confirmation: no answer on stdin (pass -f to delete "
                    "without asking)");
    }
    std::transform(answer.begin(), answer.end(), answer.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (answer == "y" || answer == "yes") {
        return true;
    }
    std::cout << "Operation cancelled.\n";
    return false;
}

}  // namespace oras::cli
