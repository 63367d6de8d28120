// Writes oras-cpp's manual page to the file named by its argument, through a temporary renamed
// into place (run at build time; `oras-cpp.1` is installed).
#include "cli/app.hpp"
#include "cli/display/man.hpp"
#include "cli/files.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: oras-cpp-manpage OUTPUT\n";
        return 2;
    }
    try {
        const auto app = oras::cli::make_app();
        oras::cli::write_output(argv[1], oras::cli::man_page(app->cli), "manual page");
    } catch (const std::exception& e) {
        std::cerr << "oras-cpp-manpage: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
