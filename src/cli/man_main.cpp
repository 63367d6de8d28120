// Writes oras-cpp's manual page to the file named by its argument, through a temporary renamed
// into place (run at build time; `oras-cpp.1` is installed).
#include "cli/app.hpp"
#include "cli/display/man.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: oras-cpp-manpage OUTPUT\n";
        return 2;
    }
    const std::string out = argv[1];
    const std::string temp = out + ".tmp";
    const auto app = oras::cli::make_app();
    {
        std::ofstream f(temp, std::ios::binary | std::ios::trunc);
        f << oras::cli::man_page(app->cli);
        if (!f.flush()) {
            std::cerr << "oras-cpp-manpage: cannot write " << temp << "\n";
            std::remove(temp.c_str());
            return 1;
        }
    }
    if (std::rename(temp.c_str(), out.c_str()) != 0) {
        std::cerr << "oras-cpp-manpage: cannot rename " << temp << " to " << out << "\n";
        std::remove(temp.c_str());
        return 1;
    }
    return 0;
}
