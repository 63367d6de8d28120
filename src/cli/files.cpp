#include "cli/files.hpp"

#include "content/file_paths.hpp"

#include <oras/error.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <system_error>
#include <vector>

namespace oras::cli {

namespace fs = std::filesystem;

std::string read_input(const std::string& path, std::string_view what, std::size_t limit) {
    std::string out;
    std::istream* in = &std::cin;
    std::ifstream file;
    if (path != "-") {
        file.open(path, std::ios::binary);
        if (!file) {
            throw error(errc::invalid_argument,
                        "cannot read the " + std::string(what) + " \"" + path + "\"");
        }
        in = &file;
    }
    std::vector<char> buf(64 * 1024);
    while (*in) {
        in->read(buf.data(), static_cast<std::streamsize>(buf.size()));
        out.append(buf.data(), static_cast<std::size_t>(in->gcount()));
        if (out.size() > limit) {
            throw error(errc::size_exceeds_limit, "the " + std::string(what) + " is larger than "
                                                      + std::to_string(limit) + " bytes");
        }
    }
    if (in->bad()) {
        throw error(errc::invalid_argument, "cannot read the " + std::string(what));
    }
    return out;
}

void write_output(const std::string& path, std::string_view bytes, std::string_view what) {
    if (path == "-") {
        std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        std::cout.flush();
        if (!std::cout) {
            throw error(errc::invalid_argument,
                        "cannot write the " + std::string(what) + " to stdout");
        }
        return;
    }
    content::detail::temp_file f(path);
    f.write(std::as_bytes(std::span(bytes.data(), bytes.size())));
    f.commit(false);
}

}  // namespace oras::cli
