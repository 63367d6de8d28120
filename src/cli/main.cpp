// oras-cpp: the command-line tool. Commands and flags follow the ORAS CLI's names.
#include "cli/app.hpp"

int main(int argc, char** argv) {
    auto app = oras::cli::make_app();
    return oras::cli::run(*app, argc, argv);
}
